import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsString, Matches, MaxLength } from 'class-validator';
import { Omittable } from './field-rules';

import { idMaxLength, idPattern, itemIdMaxLength } from '@access-audit/config';

export { idMaxLength, idPattern, itemIdMaxLength, nameMaxLength, reasonMaxLength } from '@access-audit/config';

/**
 * The router's limit on one (decoded) path parameter, Fastify's `maxParamLength` (100 by default): the longest any
 * route's DTO accepts, so every id that can be created can be addressed, and a longer one is refused by the DTO (400)
 * or, past this, by the router (414).
 */
export const pathParamMaxLength = Math.max(idMaxLength, itemIdMaxLength);

const idMessage = `$property must be 1-${idMaxLength} characters of letters, digits and . _ : @ | - (starting with a letter or digit)`;

/** A required id (body field or path parameter). */
export const IsId = (description: string, example = 'acme'): PropertyDecorator =>
  applyDecorators(
    ApiProperty({ description, example, pattern: idPattern.source, maxLength: idMaxLength }),
    IsString(),
    MaxLength(idMaxLength),
    Matches(idPattern, { message: idMessage }),
  );

/** An optional id (null is not an id). */
export const IsOptionalId = (description: string, example = 'acme'): PropertyDecorator =>
  applyDecorators(
    ApiPropertyOptional({ description, example, pattern: idPattern.source, maxLength: idMaxLength }),
    Omittable(),
    IsString(),
    MaxLength(idMaxLength),
    Matches(idPattern, { message: idMessage }),
  );
