import { ApiProperty } from '@nestjs/swagger';
import { IsIn } from 'class-validator';
import { permissionGroups, teamRoles, type PermissionGroup, type TeamRole } from '@access-audit/domain';
import { IsId } from '../../http/ids';
import { ReasonDto, TeamRoleAlias } from './common.dto';
import { TeamParams } from './teams.dto';

const roleDescription = 'Team role (`viewer` is accepted as enterprise_viewer)';

export class MemberParams extends TeamParams {
  @IsId('User id', 'bob')
  userId!: string;
}

export class MemberGroupParams extends MemberParams {
  @ApiProperty({ enum: permissionGroups, example: 'create_project' })
  @IsIn(permissionGroups)
  group!: PermissionGroup;
}

export class AddMemberDto extends ReasonDto {
  @IsId('User id of the new member', 'bob')
  userId!: string;

  @ApiProperty({ enum: teamRoles, example: 'member', description: roleDescription })
  @TeamRoleAlias()
  @IsIn(teamRoles)
  role!: TeamRole;
}

export class ChangeTeamRoleDto extends ReasonDto {
  @ApiProperty({ enum: teamRoles, example: 'developer', description: roleDescription })
  @TeamRoleAlias()
  @IsIn(teamRoles)
  role!: TeamRole;
}
