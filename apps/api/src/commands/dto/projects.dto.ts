import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsString, MaxLength, MinLength } from 'class-validator';
import { projectRoles, type ProjectRole } from '@access-audit/domain';
import { IsId, IsOptionalId, nameMaxLength } from '../../http/ids';
import { ReasonDto } from './common.dto';
import { TeamParams } from './teams.dto';

export class ProjectParams extends TeamParams {
  @IsId('Project id', 'web')
  projectId!: string;
}

export class ProjectMemberParams extends ProjectParams {
  @IsId('User id (a contributor)', 'carol')
  userId!: string;
}

export class CreateProjectDto extends ReasonDto {
  @IsOptionalId('Project id; a UUID is generated when absent', 'web')
  id?: string;

  @ApiProperty({ example: 'Website', minLength: 1, maxLength: nameMaxLength })
  @IsString()
  @MinLength(1)
  @MaxLength(nameMaxLength)
  name!: string;
}

export class AssignProjectRoleDto extends ReasonDto {
  @ApiProperty({ enum: projectRoles, example: 'project_developer' })
  @IsIn(projectRoles)
  role!: ProjectRole;
}
