/** RFC 7644 §3.12: the `scimType` of a 400 (and 409) SCIM error. */
export type ScimType =
  | 'invalidFilter'
  | 'tooMany'
  | 'uniqueness'
  | 'mutability'
  | 'invalidSyntax'
  | 'invalidPath'
  | 'noTarget'
  | 'invalidValue'
  | 'invalidVers'
  | 'sensitive';

/** Why a SCIM request is refused: what the HTTP edge answers in the SCIM error schema. */
export interface ScimRejection {
  status: 400 | 401 | 403 | 404 | 409 | 412 | 413 | 422 | 500 | 501 | 503;
  scimType?: ScimType;
  detail: string;
  /** A policy refusal names the rule (or permission) it applied. */
  rule?: string;
}

export const scimErrorSchema = 'urn:ietf:params:scim:api:messages:2.0:Error';

/** The SCIM error body (RFC 7644 §3.12): `status` is a string there. */
export interface ScimErrorBody {
  schemas: [typeof scimErrorSchema];
  status: string;
  scimType?: ScimType;
  detail: string;
}

export const scimErrorBody = (rejection: ScimRejection): ScimErrorBody => ({
  schemas: [scimErrorSchema],
  status: String(rejection.status),
  ...(rejection.scimType ? { scimType: rejection.scimType } : {}),
  detail: rejection.detail,
});

export const invalidValue = (detail: string): ScimRejection => ({ status: 400, scimType: 'invalidValue', detail });
export const notFound = (detail: string): ScimRejection => ({ status: 404, detail });
