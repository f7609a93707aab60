import { ApiBody, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsString, MaxLength } from 'class-validator';
import { Omittable } from '../../http/field-rules';
import { teamRoleAliases } from '@access-audit/domain';
import { reasonMaxLength } from '../../http/ids';

/** Every command body may say why (recorded in its events). Bodiless routes (DELETE, PUT of a group) accept just this. */
export class ReasonDto {
  @ApiPropertyOptional({
    description: 'Why the change is made; recorded in every event it causes',
    maxLength: reasonMaxLength,
  })
  @Omittable()
  @IsString()
  @MaxLength(reasonMaxLength)
  reason?: string;
}

/** Accepts the team-role aliases of the policy (`viewer` = enterprise_viewer) on input. */
export const TeamRoleAlias = (): PropertyDecorator =>
  Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' && Object.hasOwn(teamRoleAliases, value) ? teamRoleAliases[value] : value,
  );

/** OpenAPI: the body of a route that needs none may still carry a `reason`. */
export const OptionalReasonBody = (): MethodDecorator =>
  ApiBody({ type: ReasonDto, required: false, description: 'Optional: why the change is made' });
