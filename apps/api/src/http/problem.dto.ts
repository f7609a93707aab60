import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class FieldErrorDto {
  @ApiProperty({ example: 'role' }) field!: string;
  @ApiProperty({ example: 'isIn', description: 'class-validator constraint name, or a POLICY rule id' }) rule!: string;
  @ApiProperty({ example: 'role must be one of the following values: owner, member, …' }) message!: string;
}

/** OpenAPI schema of `application/problem+json` (RFC 9457) answers. */
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
}

/** OpenAPI `content` of every problem answer. */
export const problemContent = { 'application/problem+json': { schema: { $ref: '#/components/schemas/ProblemDto' } } };
