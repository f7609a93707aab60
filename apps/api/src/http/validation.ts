import {
  ValidationPipe,
  type ArgumentMetadata,
  type ValidationError,
  type ValidationPipeOptions,
} from '@nestjs/common';
import { TransformationType } from 'class-transformer';
import type { MetadataStorage as TransformerMetadataStorage } from 'class-transformer/types/MetadataStorage';
import {
  getMetadataStorage,
  ValidationTypes,
  type ValidationArguments,
  type ValidatorConstraintInterface,
  type ValidatorOptions,
} from 'class-validator';
import { unsafeShapeErrors } from './json-body';
import { validationProblem, type FieldError } from './problem';
import { notAtOnce, type SynchronousPipe } from './synchronous-route';

const joinPath = (parent: string, property: string): string =>
  /^\d+$/.test(property) ? `${parent}[${property}]` : parent ? `${parent}.${property}` : property;

/** Flattens class-validator's error tree into `{ field, rule, message }` with dotted (and indexed) paths. */
export function flattenValidationErrors(errors: ValidationError[], parent = ''): FieldError[] {
  const flat: FieldError[] = [];
  for (const error of errors) {
    const field = joinPath(parent, error.property);
    for (const [rule, message] of Object.entries(error.constraints ?? {})) flat.push({ field, rule, message });
    if (error.children?.length) flat.push(...flattenValidationErrors(error.children, field));
  }
  return flat;
}

/**
 * The global pipe's options: unknown fields are refused (never silently dropped), values are turned into DTO instances.
 * `validationError.value: false` keeps submitted values (a stray password, say) out of the error objects.
 */
export const validationPipeOptions: ValidationPipeOptions = {
  whitelist: true,
  forbidNonWhitelisted: true,
  transform: true,
  stopAtFirstError: false,
  validationError: { target: false, value: false },
  exceptionFactory: (errors) => validationProblem(flattenValidationErrors(errors)),
};

type DtoClass = abstract new (...args: never[]) => unknown;

/** A non-array object whose own enumerable values are all strings (a parsed query string without repeated keys). */
function isObjectOfStrings(value: unknown): value is Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  for (const key of Object.keys(value)) if (typeof (value as Record<string, unknown>)[key] !== 'string') return false;
  return true;
}
type Rule = ReturnType<ReturnType<typeof getMetadataStorage>['getTargetValidationMetadatas']>[number];

/** A DTO's class-validator rules, looked up once: per property, its conditions (`@IsOptional`) and its checks. */
interface DtoRules {
  properties: Array<{
    name: string;
    conditions: Rule[];
    checks: Array<{ rule: Rule; constraint: ValidatorConstraintInterface }>;
  }>;
  known: ReadonlySet<string>;
}

/**
 * The rules of a DTO class as class-validator would select them with these options, or undefined when it uses
 * something beyond flat synchronous checks (nested objects, `each`, async or promise validation, no rules at all).
 */
function dtoRulesOf(target: DtoClass, options: ValidatorOptions): DtoRules | undefined {
  const storage = getMetadataStorage();
  const rules = storage.getTargetValidationMetadatas(
    target,
    undefined as unknown as string,
    options.always ?? false,
    options.strictGroups ?? false,
    options.groups,
  );
  if (rules.length === 0) return undefined;
  const properties: DtoRules['properties'] = [];
  for (const [name, propertyRules] of Object.entries(storage.groupByPropertyName(rules))) {
    const property: DtoRules['properties'][number] = { name, conditions: [], checks: [] };
    for (const rule of propertyRules) {
      if (rule.type === ValidationTypes.WHITELIST) continue;
      if (rule.type === ValidationTypes.CONDITIONAL_VALIDATION) {
        property.conditions.push(rule);
        continue;
      }
      if (rule.type !== ValidationTypes.CUSTOM_VALIDATION && rule.type !== ValidationTypes.IS_DEFINED) return undefined;
      if (rule.each) return undefined;
      for (const constraint of storage.getTargetValidatorConstraints(rule.constraintCls)) {
        if (constraint.async) return undefined;
        property.checks.push({ rule, constraint: constraint.instance });
      }
    }
    properties.push(property);
  }
  return { properties, known: new Set(properties.map((property) => property.name)) };
}

// class-transformer keeps its decorators' metadata here; it exports no public way to ask whether a class has any.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { defaultMetadataStorage: transformerMetadata } = require('class-transformer/cjs/storage') as {
  defaultMetadataStorage: TransformerMetadataStorage;
};

/**
 * Whether `plainToInstance` of an object of strings for this DTO is `new Dto()` with those strings assigned: no
 * class-transformer decorator (`@Transform`, `@Type`, `@Expose`, `@Exclude`) on the class or on a validated property.
 */
function copiesStringsAsTheyAre(target: DtoClass, rules: DtoRules): boolean {
  const storage = transformerMetadata;
  if (storage.getStrategy(target) !== 'none') return false;
  if (storage.getExposedMetadatas(target).length > 0 || storage.getExcludedMetadatas(target).length > 0) return false;
  return [...rules.known].every(
    (name) =>
      storage.findTransformMetadatas(target, name, TransformationType.PLAIN_TO_CLASS).length === 0 &&
      storage.findTypeMetadata(target, name) === undefined,
  );
}

/** Whether every rule holds, calling the very checks class-validator calls, with the same arguments. */
function satisfies(object: Record<string, unknown>, rules: DtoRules, whitelist: boolean): boolean {
  if (whitelist && Object.keys(object).some((key) => !rules.known.has(key))) return false;
  for (const { name, conditions, checks } of rules.properties) {
    const value = object[name];
    if (value instanceof Promise) return false;
    if (!conditions.every((rule) => (rule.constraints[0] as (o: object, v: unknown) => boolean)(object, value)))
      continue;
    for (const { rule, constraint } of checks) {
      if (rule.validateIf && !rule.validateIf(object, value)) continue;
      const args: ValidationArguments = {
        targetName: object.constructor?.name ?? '',
        property: rule.propertyName,
        object,
        value,
        constraints: rule.constraints,
      };
      if (constraint.validate(value, args) !== true) return false;
    }
  }
  return true;
}

/**
 * ValidationPipe whose valid inputs skip class-validator's per-call rule lookup: the rules of each DTO class are
 * selected once and their checks called directly. Anything that fails a check (or a DTO beyond flat synchronous
 * rules) goes to class-validator itself, so refusals and their errors are exactly class-validator's.
 */
class DtoRulesValidationPipe extends ValidationPipe implements SynchronousPipe {
  readonly #rules = new Map<DtoClass, DtoRules | undefined>();
  /** Per query or path DTO: its rules when a plain object of known string fields becomes the DTO by copying. */
  readonly #stringDtos = new Map<DtoClass, DtoRules | undefined>();

  /**
   * A query or path object of known string fields that meets every rule becomes the DTO without class-transformer's
   * walk (the hot read routes); anything else takes the stock path, so refusals and their errors are unchanged.
   */
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const copied = this.#copiedAtOnce(value, metadata);
    return copied === notAtOnce ? super.transform(value, metadata) : copied;
  }

  /** transform's answer where it needs no promise: a custom parameter as it is, a valid query or path DTO; else notAtOnce. */
  transformAtOnce(value: unknown, metadata: ArgumentMetadata): unknown {
    if (metadata.type === 'custom' && !this.validateCustomDecorators) return value;
    return this.#copiedAtOnce(value, metadata);
  }

  #copiedAtOnce(value: unknown, metadata: ArgumentMetadata): unknown {
    const target = metadata.metatype as DtoClass | undefined;
    if (
      (metadata.type === 'query' || metadata.type === 'param') &&
      typeof target === 'function' &&
      isObjectOfStrings(value)
    ) {
      let rules = this.#stringDtos.get(target);
      if (rules === undefined && !this.#stringDtos.has(target)) {
        const found = dtoRulesOf(target, this.validatorOptions);
        rules = found && copiesStringsAsTheyAre(target, found) ? found : undefined;
        this.#stringDtos.set(target, rules);
      }
      if (rules && Object.keys(value).every((key) => rules.known.has(key))) {
        const dto = new (target as unknown as new () => Record<string, unknown>)();
        for (const key of Object.keys(value)) dto[key] = value[key];
        if (satisfies(dto, rules, true)) return dto;
      }
    }
    return notAtOnce;
  }

  /** Nest deletes `__proto__`, `constructor` and `prototype` keys in silence; here they are refused like any unknown field. */
  protected override stripProtoKeys(value: unknown): void {
    const errors = unsafeShapeErrors(value);
    if (errors.length > 0) throw validationProblem(errors);
  }

  protected override validate(
    object: object,
    validatorOptions: ValidatorOptions = {},
  ): Promise<ValidationError[]> | ValidationError[] {
    const target = object.constructor as DtoClass | undefined;
    if (typeof target === 'function') {
      if (!this.#rules.has(target)) this.#rules.set(target, dtoRulesOf(target, validatorOptions));
      const rules = this.#rules.get(target);
      if (rules && satisfies(object as Record<string, unknown>, rules, validatorOptions.whitelist === true)) return [];
    }
    return super.validate(object, validatorOptions);
  }
}

/** The global pipe (`validationPipeOptions`). */
export const createValidationPipe = (): ValidationPipe => new DtoRulesValidationPipe(validationPipeOptions);
