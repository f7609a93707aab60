import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class FieldErrorDto {
  @ApiProperty({ example: 'role' }) field!: string;
  @ApiProperty({ example: 'isIn', description: 'class-validator constraint name, or a POLICY rule id' }) rule!: string;
  @ApiProperty({ example: 'role must be one of the following values: owner, member, …' }) message!: string;
}

export class PlanConflictDto {
  @ApiProperty({ example: 'bob', description: 'The member, or `*` for a role limit' }) userId!: string;
  @ApiProperty({ example: 'security', description: 'The role, group or `<projectId>:<projectRole>` held' })
  holds!: string;
  @ApiProperty({ example: 'the security role is not available on pro' }) message!: string;
}

/** A stream revision as the event store states an expectation: a number, or `no_stream` / `any`. */
const revisionSchema = { oneOf: [{ type: 'integer' }, { type: 'string', enum: ['no_stream', 'any'] }] };

/** OpenAPI schema of `application/problem+json` (RFC 9457) answers. */
export class QuarantinedEventDto {
  @ApiProperty({ example: '0b5c6f2e-8d7a-4c1e-9a52-3f1d2e4b6a70' }) id!: string;
  @ApiProperty({ example: 'MemberAdded' }) type!: string;
  @ApiProperty({ example: '1042', description: 'Opaque position in the global log' }) position!: string;
  @ApiProperty({ example: 2 }) streamRevision!: number;
}

export class ProblemDto {
  @ApiProperty({ example: 'urn:access-audit:problem:policy-violation' }) type!: string;
  @ApiProperty({ example: 'Unprocessable Content' }) title!: string;
  @ApiProperty({ example: 422 }) status!: number;
  @ApiProperty({ example: 'the pro plan allows at most 1 member(s) with the billing role' }) detail!: string;
  @ApiPropertyOptional({ example: '/v1/teams/acme/members' }) instance?: string;
  @ApiPropertyOptional({ type: [FieldErrorDto], description: '400 only' }) errors?: FieldErrorDto[];
  @ApiPropertyOptional({ example: 'team.members.invite', description: '403: the permission the actor lacks' })
  permission?: string;
  @ApiPropertyOptional({ example: 'plan.role-limit', description: '404, 409, 422: the POLICY rule id' }) rule?: string;
  @ApiPropertyOptional({ example: 'web', description: '403: the project the permission was missing on' })
  projectId?: string;
  @ApiPropertyOptional({
    type: [PlanConflictDto],
    description: '422 on a plan change: every grant the new plan does not allow',
  })
  conflicts?: PlanConflictDto[];
  @ApiPropertyOptional({ ...revisionSchema, description: '409 revision-mismatch: the revision expected (If-Match)' })
  expectedRevision?: number | string;
  @ApiPropertyOptional({ example: 7, description: "409 revision-mismatch: the team stream's revision now" })
  currentRevision?: number;
  @ApiPropertyOptional({ example: 'evil', description: '503 team-quarantined: the team whose read models stopped' })
  teamId?: string;
  @ApiPropertyOptional({
    enum: ['access', 'audit', 'commands'],
    description: '503 team-quarantined: the read model that stopped (`commands`: team-stream-unreadable)',
  })
  readModel?: 'access' | 'audit' | 'commands';
  @ApiPropertyOptional({
    type: QuarantinedEventDto,
    description: '503 team-quarantined: the event that could not be applied (never its data)',
  })
  event?: QuarantinedEventDto;
}

/** OpenAPI `content` of every problem answer. */
export const problemContent = { 'application/problem+json': { schema: { $ref: '#/components/schemas/ProblemDto' } } };

/** The 503 any authenticated route answers when the identity provider's keys (JWKS) cannot be fetched. */
export const identityProviderUnavailable =
  "the identity provider's keys could not be fetched; retry after `Retry-After`";
