import { applyDecorators, UseInterceptors } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiConflictResponse,
  ApiForbiddenResponse,
  ApiHeader,
  ApiNotFoundResponse,
  ApiPayloadTooLargeResponse,
  ApiServiceUnavailableResponse,
  ApiUnauthorizedResponse,
  ApiUnprocessableEntityResponse,
  ApiUnsupportedMediaTypeResponse,
} from '@nestjs/swagger';
import { ETagInterceptor } from './etag.interceptor';
import { IdempotencyInterceptor, NoIdempotencyKeyInterceptor } from './idempotency/idempotency.interceptor';
import { NoQueryParametersInterceptor } from './no-query-parameters.interceptor';
import { identityProviderUnavailable, problemContent } from '../http/problem.dto';

/**
 * Marks a command route: `Idempotency-Key` and `If-Match` handling, `ETag` on the answer, and the OpenAPI description
 * of the headers and of every problem answer a command can get.
 */
export const CommandRoute = (options: { answerHoldsSecret?: boolean } = {}): MethodDecorator =>
  applyDecorators(
    // An answer holding a secret shown once is never stored for replay (the idempotency store is the event log).
    options.answerHoldsSecret
      ? UseInterceptors(NoQueryParametersInterceptor, NoIdempotencyKeyInterceptor, ETagInterceptor)
      : UseInterceptors(NoQueryParametersInterceptor, IdempotencyInterceptor, ETagInterceptor),
    ApiBearerAuth(),
    ApiHeader({
      name: 'Idempotency-Key',
      required: false,
      description: options.answerHoldsSecret
        ? 'Not accepted here (400): the answer holds a secret shown once, which is never stored for a replay.'
        : 'Up to 255 visible ASCII characters. The same key with the same request returns the first answer (header `Idempotent-Replayed: true`) and appends nothing; with another request: 409.',
    }),
    ApiHeader({
      name: 'If-Match',
      required: false,
      description:
        'The team stream revision the client saw (the `ETag` of a previous answer, e.g. `"7"`); a mismatch is 409.',
    }),
    ApiHeader({
      name: 'X-Request-Id',
      required: false,
      description: 'Correlation id recorded in event metadata; echoed back.',
    }),
    ApiBadRequestResponse({
      description: 'Validation failed (`errors[]`: field, rule, message)',
      content: problemContent,
    }),
    ApiUnauthorizedResponse({
      description: 'Missing, malformed, expired or wrongly signed bearer token',
      content: problemContent,
    }),
    ApiForbiddenResponse({
      description: 'The actor lacks `permission` (or the token is an access:read machine reader: `command.issue`)',
      content: problemContent,
    }),
    ApiNotFoundResponse({ description: 'Team, member or project not found (`rule`)', content: problemContent }),
    ApiConflictResponse({
      description: 'Id taken (`rule`), If-Match mismatch, or Idempotency-Key reused with another request',
      content: problemContent,
    }),
    ApiPayloadTooLargeResponse({ description: 'Body larger than 64 KiB', content: problemContent }),
    ApiUnsupportedMediaTypeResponse({ description: 'Body is not JSON', content: problemContent }),
    ApiUnprocessableEntityResponse({
      description: 'Refused by the policy (`rule`: the POLICY rule id)',
      content: problemContent,
    }),
    ApiServiceUnavailableResponse({ description: identityProviderUnavailable, content: problemContent }),
  );
