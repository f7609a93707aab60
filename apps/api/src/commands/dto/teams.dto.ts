import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsString, MaxLength, MinLength } from 'class-validator';
import { plans, type Plan } from '@access-audit/domain';
import { IsId, IsOptionalId, nameMaxLength } from '../../http/ids';
import { ReasonDto } from './common.dto';

export class TeamParams {
  @IsId('Team id', 'acme')
  teamId!: string;
}

export class CreateTeamDto extends ReasonDto {
  @IsOptionalId('Team id; a UUID is generated when absent', 'acme')
  id?: string;

  @ApiProperty({ example: 'Acme Inc.', minLength: 1, maxLength: nameMaxLength })
  @IsString()
  @MinLength(1)
  @MaxLength(nameMaxLength)
  name!: string;

  @ApiProperty({ enum: plans, example: 'enterprise' })
  @IsIn(plans)
  plan!: Plan;
}

export class RenameTeamDto extends ReasonDto {
  @ApiProperty({ example: 'Acme Corporation', minLength: 1, maxLength: nameMaxLength })
  @IsString()
  @MinLength(1)
  @MaxLength(nameMaxLength)
  name!: string;
}

export class ChangePlanDto extends ReasonDto {
  @ApiProperty({ enum: plans, example: 'pro' })
  @IsIn(plans)
  plan!: Plan;
}
