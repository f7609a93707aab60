import { ApiProperty } from '@nestjs/swagger';

export class AppendedEventDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ example: 'MemberAdded' }) type!: string;
}

/** Success answer of every command (API.md "Commands"); the `ETag` header carries `streamRevision`. */
export class CommandAcceptedDto {
  @ApiProperty({
    example: '42',
    description:
      'Opaque position of the last event the command caused (cascades included); pass as minPosition to queries',
  })
  position!: string;

  @ApiProperty({ example: 3, description: "The team stream's revision after the command" })
  streamRevision!: number;

  @ApiProperty({ type: [AppendedEventDto], description: 'Events appended; empty when nothing changed' })
  events!: AppendedEventDto[];
}

export class TeamCreatedDto extends CommandAcceptedDto {
  @ApiProperty({ example: 'acme' }) teamId!: string;
}

export class ProjectCreatedDto extends CommandAcceptedDto {
  @ApiProperty({ example: 'web' }) projectId!: string;
}
