import { Controller, Delete, Get, Inject, Patch, Post, Put, Req, Res, UseFilters } from '@nestjs/common';
import {
  DirectoryAuthenticator,
  DirectoryProvisioning,
  listResponse,
  projected,
  newScimId,
  renderGroup,
  renderUser,
  resourceTypes,
  schemaDefinitions,
  schemasList,
  serviceProviderConfig,
  type DirectoryCommand,
  type DirectoryWriteOutcome,
  type ScimRejection,
} from '@access-audit/directory-sync';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '../auth/principal';
import { CLOCK, type Clock } from '../commands/clock';
import { requestContextOf } from '../http/request-context';
import { ScimErrorFilter, ScimException, sendScim } from './scim-error';
import { ScimOperation, scimSchemas } from './scim-openapi';

type ScimRequest = FastifyRequest<{
  Params: { directoryId: string; id?: string };
  Querystring: Record<string, string | undefined>;
}>;

/** A directory command as a route states it; the directory and the time are added by `#write`. */
type ScimWrite = DirectoryCommand extends infer C
  ? C extends DirectoryCommand
    ? Omit<C, 'directoryId' | 'now'>
    : never
  : never;

const bearerOf = (header: string | undefined): string | undefined => {
  const match = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? match[1] : undefined;
};

const refuse = (rejection: ScimRejection): never => {
  throw new ScimException(rejection);
};

/** The query string member as one string (a repeated one is refused: which one was meant is not ours to guess). */
function queryOf(request: ScimRequest, name: string): string | undefined {
  const value: unknown = request.query[name];
  if (Array.isArray(value))
    return refuse({ status: 400, scimType: 'invalidValue', detail: `${name} may be given once` });
  return typeof value === 'string' ? value : undefined;
}

/**
 * SCIM 2.0 (RFC 7643/7644) under `/scim/v2/{directoryId}`: Users, Groups and discovery, for Okta and Entra ID.
 * Thin: the bearer token is checked at use by DirectoryAuthenticator, writes go through DirectoryProvisioning.
 */
@Public()
@UseFilters(ScimErrorFilter)
@Controller('scim/v2/:directoryId')
export class ScimController {
  constructor(
    private readonly authenticator: DirectoryAuthenticator,
    private readonly provisioning: DirectoryProvisioning,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async #authenticate(request: ScimRequest): Promise<{ directoryId: string; teamId: string; baseUrl: string }> {
    const { directoryId } = request.params;
    if (
      request.raw.rawHeaders.filter((_, i, all) => i % 2 === 0 && all[i]!.toLowerCase() === 'authorization').length > 1
    )
      refuse({ status: 400, scimType: 'invalidSyntax', detail: 'send exactly one Authorization header' });
    const access = await this.authenticator.authenticate(directoryId, bearerOf(request.headers.authorization));
    if (!access.ok) return refuse(access.rejection);
    return { directoryId, teamId: access.teamId, baseUrl: `/scim/v2/${encodeURIComponent(directoryId)}` };
  }

  async #write(
    request: ScimRequest,
    command: ScimWrite,
    teamId: string,
  ): Promise<Extract<DirectoryWriteOutcome, { ok: true }>> {
    const outcome = await this.provisioning.write(
      { ...command, directoryId: request.params.directoryId, now: this.clock.now().toISOString() } as DirectoryCommand,
      { teamId, correlationId: String(request.id), requestContext: requestContextOf(request) },
    );
    if (!outcome.ok) return refuse(outcome.rejection);
    // The directory recorded what the identity provider said; what the policy refused of it is the answer.
    if (!outcome.team.ok) return refuse(outcome.team.rejection);
    return outcome;
  }

  @Get('ServiceProviderConfig')
  @ScimOperation({
    summary: 'SCIM service provider configuration',
    status: 200,
    answer: scimSchemas.discovery,
    errors: [],
  })
  async serviceProviderConfig(@Req() request: ScimRequest, @Res() reply: FastifyReply): Promise<void> {
    const { baseUrl } = await this.#authenticate(request);
    sendScim(reply, 200, serviceProviderConfig(baseUrl));
  }

  @Get('ResourceTypes')
  @ScimOperation({ summary: 'SCIM resource types (User, Group)', status: 200, answer: scimSchemas.list, errors: [] })
  async resourceTypes(@Req() request: ScimRequest, @Res() reply: FastifyReply): Promise<void> {
    const { baseUrl } = await this.#authenticate(request);
    sendScim(reply, 200, resourceTypes(baseUrl));
  }

  @Get('ResourceTypes/:id')
  @ScimOperation({
    summary: 'One SCIM resource type',
    status: 200,
    answer: scimSchemas.discovery,
    errors: [404],
    id: true,
  })
  async resourceType(@Req() request: ScimRequest, @Res() reply: FastifyReply): Promise<void> {
    const { baseUrl } = await this.#authenticate(request);
    const found = resourceTypes(baseUrl).Resources.find((r) => r.id === request.params.id);
    if (!found) refuse({ status: 404, detail: `no resource type ${String(request.params.id)}` });
    sendScim(reply, 200, found);
  }

  @Get('Schemas')
  @ScimOperation({
    summary: 'SCIM schemas (User, Group, EnterpriseUser)',
    status: 200,
    answer: scimSchemas.list,
    errors: [],
  })
  async schemas(@Req() request: ScimRequest, @Res() reply: FastifyReply): Promise<void> {
    const { baseUrl } = await this.#authenticate(request);
    sendScim(reply, 200, schemasList(baseUrl));
  }

  @Get('Schemas/:id')
  @ScimOperation({ summary: 'One SCIM schema', status: 200, answer: scimSchemas.discovery, errors: [404], id: true })
  async schema(@Req() request: ScimRequest, @Res() reply: FastifyReply): Promise<void> {
    const { baseUrl } = await this.#authenticate(request);
    const found = schemaDefinitions(baseUrl).find((s) => s.id === request.params.id);
    if (!found) refuse({ status: 404, detail: `no schema ${String(request.params.id)}` });
    sendScim(reply, 200, found);
  }

  @Get('Users')
  @ScimOperation({
    summary: 'List or filter directory users',
    status: 200,
    answer: scimSchemas.list,
    errors: [400],
    list: true,
  })
  async listUsers(@Req() request: ScimRequest, @Res() reply: FastifyReply): Promise<void> {
    const { directoryId, baseUrl } = await this.#authenticate(request);
    const state = await this.provisioning.read(directoryId);
    this.#list(
      request,
      reply,
      [...state.users.values()].map((u) => renderUser(u, baseUrl)),
    );
  }

  @Get('Groups')
  @ScimOperation({
    summary: 'List or filter directory groups',
    status: 200,
    answer: scimSchemas.list,
    errors: [400],
    list: true,
  })
  async listGroups(@Req() request: ScimRequest, @Res() reply: FastifyReply): Promise<void> {
    const { directoryId, baseUrl } = await this.#authenticate(request);
    const state = await this.provisioning.read(directoryId);
    this.#list(
      request,
      reply,
      [...state.groups.values()].map((g) => renderGroup(g, baseUrl)),
    );
  }

  #projection(request: ScimRequest): { attributes?: string; excludedAttributes?: string } {
    const attributes = queryOf(request, 'attributes');
    const excludedAttributes = queryOf(request, 'excludedAttributes');
    return {
      ...(attributes !== undefined ? { attributes } : {}),
      ...(excludedAttributes !== undefined ? { excludedAttributes } : {}),
    };
  }

  #list(request: ScimRequest, reply: FastifyReply, resources: Record<string, unknown>[]): void {
    const filter = queryOf(request, 'filter');
    const startIndex = queryOf(request, 'startIndex');
    const count = queryOf(request, 'count');
    const excludedAttributes = queryOf(request, 'excludedAttributes');
    const attributes = queryOf(request, 'attributes');
    const page = listResponse(resources, {
      ...(excludedAttributes !== undefined ? { excludedAttributes } : {}),
      ...(attributes !== undefined ? { attributes } : {}),
      ...(filter !== undefined ? { filter } : {}),
      ...(startIndex !== undefined ? { startIndex } : {}),
      ...(count !== undefined ? { count } : {}),
    });
    if (!page.ok) refuse(page.rejection);
    else sendScim(reply, 200, page.body);
  }

  @Get('Users/:id')
  @ScimOperation({ summary: 'One directory user', status: 200, answer: scimSchemas.user, errors: [404], id: true })
  async getUser(@Req() request: ScimRequest, @Res() reply: FastifyReply): Promise<void> {
    const { directoryId, baseUrl } = await this.#authenticate(request);
    const user = (await this.provisioning.read(directoryId)).users.get(request.params.id!);
    if (!user) return refuse({ status: 404, detail: `no user ${request.params.id!} in this directory` });
    sendScim(reply, 200, projected(renderUser(user, baseUrl), this.#projection(request)));
  }

  @Get('Groups/:id')
  @ScimOperation({ summary: 'One directory group', status: 200, answer: scimSchemas.group, errors: [404], id: true })
  async getGroup(@Req() request: ScimRequest, @Res() reply: FastifyReply): Promise<void> {
    const { directoryId, baseUrl } = await this.#authenticate(request);
    const group = (await this.provisioning.read(directoryId)).groups.get(request.params.id!);
    if (!group) return refuse({ status: 404, detail: `no group ${request.params.id!} in this directory` });
    sendScim(reply, 200, projected(renderGroup(group, baseUrl), this.#projection(request)));
  }

  @Post('Users')
  @ScimOperation({
    summary: 'Provision a user (a member once a mapped group holds them)',
    status: 201,
    answer: scimSchemas.user,
    body: scimSchemas.userInput,
    errors: [400, 403, 409],
  })
  async createUser(@Req() request: ScimRequest, @Res() reply: FastifyReply): Promise<void> {
    const { teamId, baseUrl } = await this.#authenticate(request);
    const scimId = newScimId();
    const { state } = await this.#write(request, { type: 'CreateUser', scimId, body: request.body }, teamId);
    const body = renderUser(state.users.get(scimId)!, baseUrl);
    sendScim(reply, 201, body, { Location: String((body['meta'] as { location: string }).location) });
  }

  @Post('Groups')
  @ScimOperation({
    summary: 'Create a group (its members join the team if a mapping names it)',
    status: 201,
    answer: scimSchemas.group,
    body: scimSchemas.groupInput,
    errors: [400, 403, 409],
  })
  async createGroup(@Req() request: ScimRequest, @Res() reply: FastifyReply): Promise<void> {
    const { teamId, baseUrl } = await this.#authenticate(request);
    const scimId = newScimId();
    const { state } = await this.#write(request, { type: 'CreateGroup', scimId, body: request.body }, teamId);
    const body = renderGroup(state.groups.get(scimId)!, baseUrl);
    sendScim(reply, 201, body, { Location: String((body['meta'] as { location: string }).location) });
  }

  @Put('Users/:id')
  @ScimOperation({
    summary: 'Replace a user (active: false removes them from the team)',
    status: 200,
    answer: scimSchemas.user,
    body: scimSchemas.userInput,
    errors: [400, 403, 404, 409],
    id: true,
  })
  async replaceUser(@Req() request: ScimRequest, @Res() reply: FastifyReply): Promise<void> {
    await this.#userWrite(request, reply, 'ReplaceUser');
  }

  @Patch('Users/:id')
  @ScimOperation({
    summary: 'Patch a user (RFC 7644 §3.5.2; Okta and Entra ID forms)',
    status: 200,
    answer: scimSchemas.user,
    body: scimSchemas.patchOp,
    errors: [400, 403, 404, 409],
    id: true,
  })
  async patchUser(@Req() request: ScimRequest, @Res() reply: FastifyReply): Promise<void> {
    await this.#userWrite(request, reply, 'PatchUser');
  }

  async #userWrite(request: ScimRequest, reply: FastifyReply, type: 'ReplaceUser' | 'PatchUser'): Promise<void> {
    const { teamId, baseUrl } = await this.#authenticate(request);
    const scimId = request.params.id!;
    const { state } = await this.#write(request, { type, scimId, body: request.body }, teamId);
    sendScim(reply, 200, renderUser(state.users.get(scimId)!, baseUrl));
  }

  @Put('Groups/:id')
  @ScimOperation({
    summary: 'Replace a group',
    status: 200,
    answer: scimSchemas.group,
    body: scimSchemas.groupInput,
    errors: [400, 403, 404],
    id: true,
  })
  async replaceGroup(@Req() request: ScimRequest, @Res() reply: FastifyReply): Promise<void> {
    await this.#groupWrite(request, reply, 'ReplaceGroup');
  }

  @Patch('Groups/:id')
  @ScimOperation({
    summary: 'Patch a group: members added or removed, renamed (Okta and Entra ID forms)',
    status: 200,
    answer: scimSchemas.group,
    body: scimSchemas.patchOp,
    errors: [400, 403, 404],
    id: true,
  })
  async patchGroup(@Req() request: ScimRequest, @Res() reply: FastifyReply): Promise<void> {
    await this.#groupWrite(request, reply, 'PatchGroup');
  }

  async #groupWrite(request: ScimRequest, reply: FastifyReply, type: 'ReplaceGroup' | 'PatchGroup'): Promise<void> {
    const { teamId, baseUrl } = await this.#authenticate(request);
    const scimId = request.params.id!;
    const { state } = await this.#write(request, { type, scimId, body: request.body }, teamId);
    sendScim(reply, 200, renderGroup(state.groups.get(scimId)!, baseUrl));
  }

  @Delete('Users/:id')
  @ScimOperation({ summary: 'Delete a user: they leave the team', status: 204, errors: [403, 404], id: true })
  async deleteUser(@Req() request: ScimRequest, @Res() reply: FastifyReply): Promise<void> {
    const { teamId } = await this.#authenticate(request);
    await this.#write(request, { type: 'DeleteUser', scimId: request.params.id! }, teamId);
    sendScim(reply, 204, undefined);
  }

  @Delete('Groups/:id')
  @ScimOperation({
    summary: 'Delete a group: its members lose what its mapping gave',
    status: 204,
    errors: [403, 404],
    id: true,
  })
  async deleteGroup(@Req() request: ScimRequest, @Res() reply: FastifyReply): Promise<void> {
    const { teamId } = await this.#authenticate(request);
    await this.#write(request, { type: 'DeleteGroup', scimId: request.params.id! }, teamId);
    sendScim(reply, 204, undefined);
  }
}
