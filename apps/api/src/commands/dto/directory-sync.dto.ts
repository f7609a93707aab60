import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsIn, IsString, MaxLength, MinLength, ValidateNested } from 'class-validator';
import { permissionGroups, teamRoles, type PermissionGroup, type TeamRole } from '@access-audit/domain';
import { Omittable } from '../../http/field-rules';
import { nameMaxLength } from '../../http/ids';
import { CommandAcceptedDto } from './command-accepted.dto';
import { ReasonDto, TeamRoleAlias } from './common.dto';

/** Far beyond the groups a real directory maps; a bound on the work one request asks for. */
const maxRoleMappings = 100;

export class ConnectDirectoryDto extends ReasonDto {
  @ApiProperty({ example: 'Okta', minLength: 1, maxLength: nameMaxLength, description: 'What the directory is called' })
  @IsString()
  @MinLength(1)
  @MaxLength(nameMaxLength)
  name!: string;
}

/** API.md "Directory sync": the connection, and its bearer token shown this once (stored only as a hash). */
export class DirectoryConnectedDto extends CommandAcceptedDto {
  @ApiProperty({ example: 'dir_8f3a…', description: 'Stays the same when the token is rotated' })
  directoryId!: string;

  @ApiProperty({ example: '/scim/v2/dir_8f3a…' })
  scimBaseUrl!: string;

  @ApiProperty({ description: "The directory's SCIM bearer token; shown once, stored only as its SHA-256 hash" })
  token!: string;
}

/** One role mapping: a directory group, by its displayName or externalId, → a team role and/or permission groups. */
export class DirectoryRoleMappingDto {
  @ApiProperty({
    example: 'Engineering',
    minLength: 1,
    maxLength: nameMaxLength,
    description: "The directory group's displayName or externalId, exactly as the identity provider sends it",
  })
  @IsString()
  @MinLength(1)
  @MaxLength(nameMaxLength)
  group!: string;

  @ApiPropertyOptional({
    enum: teamRoles,
    example: 'developer',
    description:
      'The team role its members get (`viewer` is accepted as enterprise_viewer); leave out to add groups only',
  })
  @Omittable()
  @TeamRoleAlias()
  @IsIn(teamRoles)
  role?: TeamRole;

  @ApiPropertyOptional({ enum: permissionGroups, isArray: true, example: ['create_project'] })
  @Omittable()
  @IsArray()
  @ArrayMaxSize(permissionGroups.length)
  @IsIn(permissionGroups, { each: true })
  permissionGroups?: PermissionGroup[];
}

export class SetDirectoryRoleMappingsDto extends ReasonDto {
  @ApiProperty({
    type: [DirectoryRoleMappingDto],
    description: 'Replaces every mapping; on a tie of rights the earlier mapping wins',
  })
  @IsArray()
  @ArrayMaxSize(maxRoleMappings)
  @ValidateNested({ each: true })
  @Type(() => DirectoryRoleMappingDto)
  mappings!: DirectoryRoleMappingDto[];
}
