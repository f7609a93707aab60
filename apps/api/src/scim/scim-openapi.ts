import { applyDecorators } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiConsumes,
  ApiOperation,
  ApiParam,
  ApiQuery,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';

const scimJson = 'application/scim+json';

const meta: SchemaObject = {
  type: 'object',
  properties: {
    resourceType: { type: 'string' },
    created: { type: 'string' },
    lastModified: { type: 'string' },
    version: { type: 'string' },
    location: { type: 'string' },
  },
};

/** A SCIM resource: the attributes the directory sent are kept and answered as they came, so the object stays open. */
const resource = (properties: Record<string, SchemaObject>): SchemaObject => ({
  type: 'object',
  required: ['schemas', 'id', 'meta', ...Object.keys(properties)],
  properties: { schemas: { type: 'array', items: { type: 'string' } }, id: { type: 'string' }, meta, ...properties },
  additionalProperties: true,
});

export const scimSchemas: Record<
  'user' | 'group' | 'userInput' | 'groupInput' | 'patchOp' | 'discovery' | 'list' | 'error',
  SchemaObject
> = {
  user: resource({ userName: { type: 'string' }, active: { type: 'boolean' } }),
  group: resource({
    displayName: { type: 'string' },
    members: {
      type: 'array',
      items: {
        type: 'object',
        required: ['value'],
        properties: { value: { type: 'string' }, $ref: { type: 'string' } },
      },
    },
  }),
  userInput: {
    type: 'object',
    required: ['schemas', 'userName'],
    properties: {
      schemas: { type: 'array', items: { type: 'string' } },
      userName: { type: 'string' },
      externalId: { type: 'string' },
      active: { type: 'boolean' },
    },
    additionalProperties: true,
  },
  groupInput: {
    type: 'object',
    required: ['schemas', 'displayName'],
    properties: {
      schemas: { type: 'array', items: { type: 'string' } },
      displayName: { type: 'string' },
      externalId: { type: 'string' },
      members: { type: 'array', items: { type: 'object' } },
    },
    additionalProperties: true,
  },
  patchOp: {
    type: 'object',
    required: ['schemas', 'Operations'],
    properties: {
      schemas: { type: 'array', items: { type: 'string' } },
      Operations: { type: 'array', items: { type: 'object' } },
    },
    additionalProperties: true,
  },
  discovery: {
    type: 'object',
    required: ['schemas'],
    properties: { schemas: { type: 'array', items: { type: 'string' } } },
    additionalProperties: true,
  },
  list: {
    type: 'object',
    required: ['schemas', 'totalResults', 'startIndex', 'itemsPerPage', 'Resources'],
    properties: {
      schemas: { type: 'array', items: { type: 'string' } },
      totalResults: { type: 'integer' },
      startIndex: { type: 'integer' },
      itemsPerPage: { type: 'integer' },
      Resources: { type: 'array', items: { type: 'object', additionalProperties: true } },
    },
  },
  error: {
    type: 'object',
    required: ['schemas', 'status', 'detail'],
    properties: {
      schemas: { type: 'array', items: { type: 'string', enum: ['urn:ietf:params:scim:api:messages:2.0:Error'] } },
      status: { type: 'string' },
      scimType: { type: 'string' },
      detail: { type: 'string' },
    },
  },
};

const errorStatuses: Record<number, string> = {
  400: 'a malformed body, filter or PATCH operation (scimType names which)',
  401: 'no bearer token, or not the current token of this directory (rotated, disconnected)',
  403: 'the policy refused the team change the directory asked for (detail names the rule); recorded as a denial',
  404: 'no such resource in this directory',
  409: 'userName, or the externalId as member userId, is taken in this directory (scimType uniqueness)',
  500: 'the request failed',
  503: 'the team kept changing concurrently: retry (the directory change itself is recorded)',
};

/** One SCIM operation in the OpenAPI document: its answers are application/scim+json, errors in the SCIM error schema. */
export function ScimOperation(options: {
  summary: string;
  status: 200 | 201 | 204;
  answer?: SchemaObject;
  body?: SchemaObject;
  errors: number[];
  id?: boolean;
  list?: boolean;
}): MethodDecorator {
  return applyDecorators(
    ApiTags('SCIM 2.0 (directory sync)'),
    // HTTP bearer, though not a JWT: the directory's `scim_…` token.
    ApiBearerAuth(),
    ApiOperation({
      summary: options.summary,
      description: 'Authorization: Bearer <directory token> (answered by PUT /v1/teams/{teamId}/directory-sync).',
    }),
    ApiParam({ name: 'directoryId', description: 'The directory id answered at connection' }),
    ...(options.id ? [ApiParam({ name: 'id', description: 'The SCIM id of the resource' })] : []),
    ...(options.list
      ? [
          ApiQuery({
            name: 'filter',
            required: false,
            description: 'RFC 7644 §3.4.2.2, e.g. userName eq "ann@example.com"',
          }),
          ApiQuery({ name: 'startIndex', required: false, description: '1-based' }),
          ApiQuery({ name: 'count', required: false }),
          ApiQuery({ name: 'attributes', required: false, description: 'top-level attributes to return' }),
          ApiQuery({ name: 'excludedAttributes', required: false, description: 'top-level attributes to leave out' }),
        ]
      : []),
    ...(options.body
      ? [ApiConsumes(scimJson, 'application/json'), ApiBody({ required: true, schema: options.body })]
      : []),
    ApiResponse({
      status: options.status,
      description: 'done',
      ...(options.answer ? { content: { [scimJson]: { schema: options.answer } } } : {}),
    }),
    // Every route may see two Authorization headers (400); a write's team change may be refused as any team command is.
    ...[...new Set([400, 401, 500, ...options.errors, ...(options.errors.includes(403) ? [404, 409, 503] : [])])].map(
      (status) =>
        ApiResponse({
          status,
          description: errorStatuses[status] ?? 'refused',
          content: { [scimJson]: { schema: scimSchemas.error } },
        }),
    ),
  );
}
