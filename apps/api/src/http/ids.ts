import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Matches, MaxLength } from 'class-validator';

/** Ids of teams, users, projects, rules and tokens: 1–128 characters, letters, digits and . _ : @ | -, starting with a letter or digit. */
export const idPattern = /^[A-Za-z0-9][A-Za-z0-9._:@|-]{0,127}$/;
export const idMaxLength = 128;
export const nameMaxLength = 200;
export const reasonMaxLength = 500;

const idMessage =
  '$property must be 1-128 characters of letters, digits and . _ : @ | - (starting with a letter or digit)';

/** A required id (body field or path parameter). */
export const IsId = (description: string, example = 'acme'): PropertyDecorator =>
  applyDecorators(
    ApiProperty({ description, example, pattern: idPattern.source, maxLength: idMaxLength }),
    IsString(),
    MaxLength(idMaxLength),
    Matches(idPattern, { message: idMessage }),
  );

/** An optional id. */
export const IsOptionalId = (description: string, example = 'acme'): PropertyDecorator =>
  applyDecorators(
    ApiPropertyOptional({ description, example, pattern: idPattern.source, maxLength: idMaxLength }),
    IsOptional(),
    IsString(),
    MaxLength(idMaxLength),
    Matches(idPattern, { message: idMessage }),
  );
