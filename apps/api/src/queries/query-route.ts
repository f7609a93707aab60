import { applyDecorators } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiServiceUnavailableResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { identityProviderUnavailable, problemContent } from '../http/problem.dto';

/** What a read route's 403, 404 and 503 mean on that route. */
export interface ReadRouteAnswers {
  forbidden: string;
  notFound: string;
  /** Besides the identity provider being unreachable, which every authenticated route may answer. */
  unavailable?: string;
}

const queryAnswers: ReadRouteAnswers = {
  forbidden:
    'Reading needs team.view or team.audit.view on the team (or the access:read scope); anyone reads their own permissions (`permission`)',
  notFound: 'No such team (or project)',
  unavailable:
    '`minPosition` not reached within 5 s (retry after `Retry-After`); or the team is quarantined at an event that could not be applied (`teamId`, `event`)',
};

/** OpenAPI description shared by the read routes: bearer auth and the problem answers a read can get. */
export const QueryRoute = (answers: ReadRouteAnswers = queryAnswers): MethodDecorator =>
  applyDecorators(
    ApiBearerAuth(),
    ApiBadRequestResponse({ description: 'A query parameter is invalid (`errors[]`)', content: problemContent }),
    ApiUnauthorizedResponse({ description: 'Missing or invalid bearer token', content: problemContent }),
    ApiForbiddenResponse({ description: answers.forbidden, content: problemContent }),
    ApiNotFoundResponse({ description: answers.notFound, content: problemContent }),
    ApiServiceUnavailableResponse({
      description: [answers.unavailable, identityProviderUnavailable].filter(Boolean).join('; or '),
      content: problemContent,
    }),
  );

/** The `X-Position` header every query answers with. */
export const positionHeader = {
  'X-Position': { description: 'The position the read models reflected when answering', schema: { type: 'string' } },
};
