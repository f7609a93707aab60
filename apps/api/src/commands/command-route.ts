import { applyDecorators, UseInterceptors, type Type } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiExtraModels,
  ApiForbiddenResponse,
  ApiHeader,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiQuery,
  ApiPayloadTooLargeResponse,
  ApiServiceUnavailableResponse,
  ApiUnauthorizedResponse,
  ApiUnprocessableEntityResponse,
  ApiUnsupportedMediaTypeResponse,
  getSchemaPath,
} from '@nestjs/swagger';
import { ETagInterceptor } from './etag.interceptor';
import { IdempotencyInterceptor, NoIdempotencyKeyInterceptor } from './idempotency/idempotency.interceptor';
import { CommandQueryInterceptor, NoPreviewQueryInterceptor } from './command-query';
import { CommandPreviewDto } from './dto/command-preview.dto';
import { identityProviderUnavailable, problemContent } from '../http/problem.dto';

export type CommandRouteOptions = {
  /** The answer holds a secret shown once (never stored for an idempotent replay). */
  answerHoldsSecret?: boolean;
} & (
  | {
      /** The command's success answer, declared here beside the impact preview (both may answer 200). */
      answer: Type<unknown>;
      /** The command's success status (the preview always answers 200). */
      status: 200 | 201;
    }
  /** A command route outside the team commands (a campaign's): `dryRun=true` is refused; declare the answer yourself. */
  | { preview: false }
);

const previewDescription =
  'The impact preview (`dryRun=true`): authorized and decided exactly as the command would be; nothing is appended';

/** OpenAPI: the command's success answer and the impact preview, one schema per status. */
function successAnswers(answer: Type<unknown>, status: 200 | 201): MethodDecorator {
  if (status === 201) {
    return applyDecorators(
      ApiCreatedResponse({ type: answer }),
      ApiOkResponse({ type: CommandPreviewDto, description: previewDescription }),
    );
  }
  return applyDecorators(
    ApiExtraModels(answer, CommandPreviewDto),
    ApiOkResponse({
      description: `The command's answer; or: ${previewDescription}`,
      schema: { oneOf: [{ $ref: getSchemaPath(answer) }, { $ref: getSchemaPath(CommandPreviewDto) }] },
    }),
  );
}

/**
 * Marks a command route: the `dryRun` query (impact preview), `Idempotency-Key` and `If-Match` handling, `ETag` on the
 * answer, and the OpenAPI description of the success answers, the headers and every problem answer a command can get.
 */
export const CommandRoute = (options: CommandRouteOptions): MethodDecorator => {
  const previewable = !('preview' in options);
  const query = previewable ? CommandQueryInterceptor : NoPreviewQueryInterceptor;
  return applyDecorators(
    // An answer holding a secret shown once is never stored for replay (the idempotency store is the event log).
    options.answerHoldsSecret
      ? UseInterceptors(query, NoIdempotencyKeyInterceptor, ETagInterceptor)
      : UseInterceptors(query, IdempotencyInterceptor, ETagInterceptor),
    ...('answer' in options
      ? [
          successAnswers(options.answer, options.status),
          ApiQuery({
            name: 'dryRun',
            required: false,
            type: Boolean,
            description:
              '`true`: the impact preview, 200 with the events the command would append and the permissions each user would gain or lose, or the very refusal the command would get (and 403 `team.view` to one who may not read the team); nothing is appended, no denial recorded, and `Idempotency-Key` is ignored. `false` (or absent): the command',
          }),
        ]
      : []),
    ApiBearerAuth(),
    ApiHeader({
      name: 'Idempotency-Key',
      required: false,
      description: options.answerHoldsSecret
        ? 'Not accepted here (400, but ignored with `dryRun=true`): the answer holds a secret shown once, which is never stored for a replay.'
        : `Up to 255 visible ASCII characters. The same key with the same request returns the first answer (header \`Idempotent-Replayed: true\`) and appends nothing; with another request: 409.${previewable ? ' Ignored (neither checked nor recorded) with `dryRun=true`.' : ''}`,
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
      description:
        'Validation failed (`errors[]`: field, rule, message), including a query parameter other than `dryRun=true|false`',
      content: problemContent,
    }),
    ApiUnauthorizedResponse({
      description: 'Missing, malformed, expired or wrongly signed bearer token',
      content: problemContent,
    }),
    ApiForbiddenResponse({
      description: `The actor lacks \`permission\` (or the token is an access:read machine reader: \`command.issue\`)${previewable ? "; a preview also needs `team.view` (or `team.audit.view`), as it shows other members' access" : ''}`,
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
};
