import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength, MinLength } from 'class-validator';
import { IsId, reasonMaxLength } from '../http/ids';

export class SubjectPathDto {
  @IsId('User id of the subject whose personal data is erased', 'bob')
  userId!: string;
}

export class ErasureRequestDto {
  @ApiProperty({
    description:
      "Why the subject's data is erased (e.g. a ticket number); the operator's own text, kept readable under the operator's key",
    minLength: 1,
    maxLength: reasonMaxLength,
  })
  @IsString()
  @MinLength(1)
  @MaxLength(reasonMaxLength)
  reason!: string;
}

export class ErasureTeamDto {
  @ApiProperty({ example: 'acme' }) teamId!: string;

  @ApiProperty({
    description: 'false: this team had recorded the erasure already (an erasure repeated appends nothing)',
  })
  recorded!: boolean;
}

export class ErasureAnswerDto {
  @ApiProperty({ example: 'bob' }) userId!: string;

  @ApiProperty({ description: 'Subject keys destroyed now (0 when the subject had been erased already)' })
  keysDestroyed!: number;

  @ApiProperty({
    type: [ErasureTeamDto],
    description: 'Every team the subject belonged to, and whether it recorded the erasure now',
  })
  teams!: ErasureTeamDto[];
}
