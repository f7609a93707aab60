import { ApiProperty } from '@nestjs/swagger';
import { permissions } from '@access-audit/domain';

export class PreviewEventDto {
  @ApiProperty({ example: 'MemberRoleChanged' }) type!: string;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description:
      'The event data exactly as the command would record it; ids the service generates (a new team, project or directory id) and `occurredAt` are chosen again when the command runs, and no secret is minted (a directory token hash reads `not-minted-in-a-preview`)',
  })
  data!: Record<string, unknown>;
}

export class PreviewPermissionChangeDto {
  @ApiProperty({ example: 'bob' }) userId!: string;

  @ApiProperty({ type: String, nullable: true, example: 'web', description: 'null for a team-level permission' })
  projectId!: string | null;

  @ApiProperty({ enum: permissions, example: 'project.deploy.production' }) permission!: string;

  @ApiProperty({
    enum: ['granted', 'revoked'],
    description: '`granted`: the user would hold it after the command and does not now; `revoked`: the reverse',
  })
  change!: 'granted' | 'revoked';
}

/** The impact preview of a command (`?dryRun=true`, API.md "Impact preview"): what it would do; nothing was appended. */
export class CommandPreviewDto {
  @ApiProperty({ enum: [true], description: 'Always true: nothing was appended, no Idempotency-Key recorded' })
  dryRun!: true;

  @ApiProperty({
    type: 'integer',
    example: 7,
    description:
      "The team stream's revision the preview was decided on (also the `ETag`); send it as `If-Match` with the real command to have it decided on the same state, or refused with 409",
  })
  streamRevision!: number;

  @ApiProperty({
    type: [PreviewEventDto],
    description: 'The events the command would append, cascades included, in order',
  })
  events!: PreviewEventDto[];

  @ApiProperty({
    type: [PreviewPermissionChangeDto],
    description:
      'Every effective permission that would change, from the state now to the state after those events: per user (by id), revoked ones first',
  })
  permissionChanges!: PreviewPermissionChangeDto[];
}
