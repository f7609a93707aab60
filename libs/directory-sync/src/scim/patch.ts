import { ScimError, scimPatch, type ScimPatchOperation, type ScimResource } from 'scim-patch';
import { invalidValue, type ScimRejection, type ScimType } from './errors';
import { patchOpSchema, scimBoolean } from './resources';

type Patched = { ok: true; resource: Record<string, unknown> } | { ok: false; rejection: ScimRejection };

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const maxOperations = 1000;
const syntax = (detail: string): ScimRejection => ({ status: 400, scimType: 'invalidSyntax', detail });

/** Read-only attributes a client may echo in a path-less value (Okta sends the group's `id`); changing them is refused. */
const readOnly = ['id', 'meta', 'schemas'];

/** A path step scim-patch would walk into JavaScript's prototype machinery (Object.prototype itself, for every request). */
const prototypeStep = /(?:^|[^A-Za-z0-9_$])(?:__proto__|constructor|prototype)(?:$|[^A-Za-z0-9_$])/i;

/**
 * The operations of a PatchOp body in RFC 7644 form, from the shapes real clients send: Entra ID's capitalised ops
 * ("Replace") and boolean strings (`"value": "False"` for `active`); Okta's path-less `replace` with `{ active }` or
 * `{ members }`, echoing the resource's `id`.
 */
export function normalizePatch(
  body: unknown,
  resourceId: string,
): { ok: true; operations: ScimPatchOperation[] } | { ok: false; rejection: ScimRejection } {
  if (!isObject(body)) return { ok: false, rejection: syntax('the body must be a PatchOp JSON object') };
  const schemas = body['schemas'];
  if (!Array.isArray(schemas) || !schemas.includes(patchOpSchema))
    return { ok: false, rejection: invalidValue(`schemas must include ${patchOpSchema}`) };
  const operations = body['Operations'] ?? body['operations'];
  if (!Array.isArray(operations) || operations.length === 0 || operations.length > maxOperations)
    return { ok: false, rejection: invalidValue(`Operations must be an array of 1-${maxOperations} operations`) };
  const normalized: ScimPatchOperation[] = [];
  for (const [index, raw] of operations.entries()) {
    if (!isObject(raw)) return { ok: false, rejection: syntax(`Operations[${index}] must be an object`) };
    const op = typeof raw['op'] === 'string' ? raw['op'].toLowerCase() : undefined;
    if (op !== 'add' && op !== 'replace' && op !== 'remove')
      return { ok: false, rejection: syntax(`Operations[${index}].op must be add, replace or remove`) };
    const path = raw['path'];
    if (path !== undefined && (typeof path !== 'string' || path.length === 0))
      return {
        ok: false,
        rejection: {
          status: 400,
          scimType: 'invalidPath',
          detail: `Operations[${index}].path must be a non-empty string`,
        },
      };
    if (typeof path === 'string' && prototypeStep.test(path))
      return {
        ok: false,
        rejection: {
          status: 400,
          scimType: 'invalidPath',
          detail: `Operations[${index}].path may not name __proto__, constructor or prototype`,
        },
      };
    let value = raw['value'];
    if (path === undefined) {
      if (op === 'remove')
        return {
          ok: false,
          rejection: { status: 400, scimType: 'noTarget', detail: `Operations[${index}]: remove needs a path` },
        };
      if (!isObject(value))
        return {
          ok: false,
          rejection: invalidValue(`Operations[${index}].value must be an object when there is no path`),
        };
      const copy: Record<string, unknown> = {};
      for (const [key, attributeValue] of Object.entries(value)) {
        const lower = key.toLowerCase();
        // scim-patch reads a path-less value's keys as paths too.
        if (prototypeStep.test(key))
          return {
            ok: false,
            rejection: {
              status: 400,
              scimType: 'invalidPath',
              detail: `Operations[${index}].value may not name __proto__, constructor or prototype`,
            },
          };
        if (readOnly.includes(lower)) {
          if (lower === 'id' && attributeValue !== resourceId)
            return { ok: false, rejection: { status: 400, scimType: 'mutability', detail: 'id is read-only' } };
          continue;
        }
        copy[key] = lower === 'active' ? (scimBoolean(attributeValue) ?? attributeValue) : attributeValue;
      }
      value = copy;
    } else if (path.toLowerCase() === 'active') {
      value = scimBoolean(value) ?? value;
    }
    if (path !== undefined && readOnly.includes(path.toLowerCase()))
      return { ok: false, rejection: { status: 400, scimType: 'mutability', detail: `${path} is read-only` } };
    normalized.push(
      op === 'remove'
        ? { op, path: path!, ...(value !== undefined ? { value } : {}) }
        : ({ op, ...(path !== undefined ? { path } : {}), value } as ScimPatchOperation),
    );
  }
  return { ok: true, operations: normalized };
}

const scimTypes: ReadonlySet<string> = new Set([
  'invalidFilter',
  'invalidPath',
  'noTarget',
  'invalidValue',
  'invalidSyntax',
  'mutability',
]);

/** Applies RFC 7644 §3.5.2 operations to a copy of `resource` (scim-patch); a bad operation is a 400 with its scimType. */
export function applyPatch(resource: Record<string, unknown>, operations: ScimPatchOperation[]): Patched {
  try {
    // A JSON copy: resources are JSON, and a clone from another realm (structuredClone under a VM) fails deep equality.
    const copy = JSON.parse(JSON.stringify(resource)) as ScimResource;
    return {
      ok: true,
      resource: scimPatch(copy, operations, { mutateDocument: true, treatMissingAsAdd: true }) as unknown as Record<
        string,
        unknown
      >,
    };
  } catch (error) {
    if (!(error instanceof ScimError)) throw error;
    const scimType = (error.scimCode && scimTypes.has(error.scimCode) ? error.scimCode : 'invalidValue') as ScimType;
    return { ok: false, rejection: { status: 400, scimType, detail: error.message } };
  }
}
