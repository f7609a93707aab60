import { HttpException, HttpStatus } from '@nestjs/common';

export const problemContentType = 'application/problem+json';

/** One reason a request body, path or query value is refused (400). */
export interface FieldError {
  /** Dotted path of the value, e.g. `deploymentProtection.passwordProtection.enabled` or `ipBlocks.add[0]`. */
  field: string;
  /** The rule that failed: a class-validator constraint name (`isIn`, `maxLength`, `whitelistValidation`…) or a policy rule id. */
  rule: string;
  message: string;
}

/** RFC 9457 problem details, with this API's extension members. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  /** 400: every field that failed. */
  errors?: FieldError[];
  /** 403: the permission the actor lacks. */
  permission?: string;
  /** 403 (separation of duties), 404, 409, 422: the POLICY rule id. */
  rule?: string;
  [extension: string]: unknown;
}

/** Problem types: stable URIs clients may switch on. */
export const problemTypes = {
  validation: 'urn:access-audit:problem:validation-failed',
  unauthenticated: 'urn:access-audit:problem:unauthenticated',
  forbidden: 'urn:access-audit:problem:forbidden',
  notFound: 'urn:access-audit:problem:not-found',
  conflict: 'urn:access-audit:problem:conflict',
  revisionMismatch: 'urn:access-audit:problem:revision-mismatch',
  idempotencyKeyReused: 'urn:access-audit:problem:idempotency-key-reused',
  idempotentRequestInProgress: 'urn:access-audit:problem:idempotent-request-in-progress',
  policyViolation: 'urn:access-audit:problem:policy-violation',
  payloadTooLarge: 'urn:access-audit:problem:payload-too-large',
  unsupportedMediaType: 'urn:access-audit:problem:unsupported-media-type',
  methodNotAllowed: 'urn:access-audit:problem:method-not-allowed',
  requestTimeout: 'urn:access-audit:problem:request-timeout',
  uriTooLong: 'urn:access-audit:problem:uri-too-long',
  headerFieldsTooLarge: 'urn:access-audit:problem:header-fields-too-large',
  unavailable: 'urn:access-audit:problem:service-unavailable',
  internal: 'urn:access-audit:problem:internal-error',
  http: 'about:blank',
} as const;

const titles: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  409: 'Conflict',
  413: 'Content Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export const statusTitle = (status: number): string =>
  titles[status] ?? (status >= 500 ? 'Server Error' : 'Client Error');

/** An HTTP error whose body is exactly the given problem; `headers` are added to the response (e.g. Retry-After). */
export class ProblemException extends HttpException {
  constructor(
    readonly problem: Problem,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(problem, problem.status);
  }
}

export interface ProblemExtensions {
  title?: string;
  instance?: string;
  errors?: FieldError[];
  permission?: string;
  rule?: string;
  [extension: string]: unknown;
}

export const problem = (status: number, type: string, detail: string, extensions: ProblemExtensions = {}): Problem => ({
  type,
  title: extensions.title ?? statusTitle(status),
  status,
  detail,
  ...extensions,
});

export const validationProblem = (errors: FieldError[], detail?: string): ProblemException =>
  new ProblemException(
    problem(
      HttpStatus.BAD_REQUEST,
      problemTypes.validation,
      detail ?? `the request is invalid: ${errors.map((e) => `${e.field || 'body'} (${e.rule})`).join(', ')}`,
      { errors },
    ),
  );
