import { Transform } from 'class-transformer';
import { ValidateIf } from 'class-validator';

/**
 * The field may be left out; `null` is not leaving it out and goes through the field's rules (and fails them), where
 * class-validator's `@IsOptional()` would let it through unchecked: no field of this API gives null a meaning.
 */
export const Omittable = (): PropertyDecorator => ValidateIf((_object: object, value: unknown) => value !== undefined);

// At most 15 digits: every such number is exact as a double, so `@Max()` compares the value that was sent.
const decimalDigits = /^[0-9]{1,15}$/;

/**
 * A query integer: plain decimal digits become a number; anything else (`0x10`, ` 5`, `1e3`, `5.0`) stays a string for
 * `@IsInt()` to refuse, where `Number()` would read it as a number.
 */
export const FromDecimalDigits = (): PropertyDecorator =>
  Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' && decimalDigits.test(value) ? Number(value) : value,
  );
