import { applyDecorators } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiServiceUnavailableResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';

const problemContent = { 'application/problem+json': { schema: { $ref: '#/components/schemas/ProblemDto' } } };

/** OpenAPI description shared by the query routes: bearer auth and the problem answers a query can get. */
export const QueryRoute = (): MethodDecorator =>
  applyDecorators(
    ApiBearerAuth(),
    ApiBadRequestResponse({ description: 'A query parameter is invalid (`errors[]`)', content: problemContent }),
    ApiUnauthorizedResponse({ description: 'Missing or invalid bearer token', content: problemContent }),
    ApiForbiddenResponse({
      description:
        'Reading needs team.view or team.audit.view on the team (or the access:read scope); anyone reads their own permissions (`permission`)',
      content: problemContent,
    }),
    ApiNotFoundResponse({ description: 'No such team (or project)', content: problemContent }),
    ApiServiceUnavailableResponse({
      description: '`minPosition` not reached within 5 s; retry after `Retry-After`',
      content: problemContent,
    }),
  );

/** The `X-Position` header every query answers with. */
export const positionHeader = {
  'X-Position': { description: 'The position the read models reflected when answering', schema: { type: 'string' } },
};
