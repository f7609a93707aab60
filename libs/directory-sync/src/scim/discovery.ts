import { enterpriseUserSchema, groupSchema, listResponseSchema, userSchema } from './resources';

/** Discovery (RFC 7644 §4): what this service provider supports, for clients that read it (Entra ID, scimmy). */
export const maxResults = 200;

export const serviceProviderConfig = (baseUrl: string) => ({
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'],
  documentationUri: 'https://github.com/access-audit/access-audit#connect-your-identity-provider',
  patch: { supported: true },
  bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
  filter: { supported: true, maxResults },
  changePassword: { supported: false },
  sort: { supported: false },
  etag: { supported: false },
  authenticationSchemes: [
    {
      type: 'oauthbearertoken',
      name: 'Bearer token',
      description: 'The directory token answered by PUT /v1/teams/{teamId}/directory-sync',
      primary: true,
    },
  ],
  meta: { resourceType: 'ServiceProviderConfig', location: `${baseUrl}/ServiceProviderConfig` },
});

const resourceType = (baseUrl: string, name: 'User' | 'Group') => ({
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:ResourceType'],
  id: name,
  name,
  endpoint: `/${name}s`,
  schema: name === 'User' ? userSchema : groupSchema,
  ...(name === 'User' ? { schemaExtensions: [{ schema: enterpriseUserSchema, required: false }] } : {}),
  meta: { resourceType: 'ResourceType', location: `${baseUrl}/ResourceTypes/${name}` },
});

export const resourceTypes = (baseUrl: string) => ({
  schemas: [listResponseSchema],
  totalResults: 2,
  startIndex: 1,
  itemsPerPage: 2,
  Resources: [resourceType(baseUrl, 'User'), resourceType(baseUrl, 'Group')],
});

const attr = (name: string, type: string, extra: Record<string, unknown> = {}) => ({
  name,
  type,
  multiValued: false,
  required: false,
  caseExact: false,
  mutability: 'readWrite',
  returned: 'default',
  uniqueness: 'none',
  ...extra,
});

const multi = (name: string, subAttributes: unknown[]) => attr(name, 'complex', { multiValued: true, subAttributes });
const valueTypePrimary = [
  attr('value', 'string'),
  attr('display', 'string'),
  attr('type', 'string'),
  attr('primary', 'boolean'),
];

const schema = (baseUrl: string, id: string, name: string, attributes: unknown[]) => ({
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:Schema'],
  id,
  name,
  attributes,
  meta: { resourceType: 'Schema', location: `${baseUrl}/Schemas/${id}` },
});

export const schemaDefinitions = (baseUrl: string) => [
  schema(baseUrl, userSchema, 'User', [
    attr('userName', 'string', { required: true, uniqueness: 'server' }),
    attr('externalId', 'string', { caseExact: true }),
    attr('name', 'complex', {
      subAttributes: ['formatted', 'familyName', 'givenName', 'middleName', 'honorificPrefix', 'honorificSuffix'].map(
        (n) => attr(n, 'string'),
      ),
    }),
    attr('displayName', 'string'),
    attr('nickName', 'string'),
    attr('title', 'string'),
    attr('preferredLanguage', 'string'),
    attr('locale', 'string'),
    attr('timezone', 'string'),
    attr('active', 'boolean'),
    attr('password', 'string', { mutability: 'writeOnly', returned: 'never' }),
    multi('emails', valueTypePrimary),
    multi('phoneNumbers', valueTypePrimary),
  ]),
  schema(baseUrl, groupSchema, 'Group', [
    attr('displayName', 'string', { required: true }),
    attr('externalId', 'string', { caseExact: true }),
    multi('members', [
      attr('value', 'string', { caseExact: true, mutability: 'immutable' }),
      attr('$ref', 'reference', { referenceTypes: ['User'] }),
      attr('display', 'string'),
    ]),
  ]),
  schema(baseUrl, enterpriseUserSchema, 'EnterpriseUser', [
    attr('employeeNumber', 'string'),
    attr('costCenter', 'string'),
    attr('organization', 'string'),
    attr('division', 'string'),
    attr('department', 'string'),
    attr('manager', 'complex', {
      subAttributes: [attr('value', 'string'), attr('$ref', 'reference'), attr('displayName', 'string')],
    }),
  ]),
];

export const schemasList = (baseUrl: string) => {
  const all = schemaDefinitions(baseUrl);
  return {
    schemas: [listResponseSchema],
    totalResults: all.length,
    startIndex: 1,
    itemsPerPage: all.length,
    Resources: all,
  };
};
