import type { ArgumentMetadata } from '@nestjs/common';
import { getMetadataStorage } from 'class-validator';
import * as accessReviewDtos from '../access-reviews/dto/access-review.dto';
import * as auditQueryDtos from '../audit/dto/audit-queries.dto';
import * as commonDtos from '../commands/dto/common.dto';
import * as memberDtos from '../commands/dto/members.dto';
import * as projectDtos from '../commands/dto/projects.dto';
import * as securityDtos from '../commands/dto/security.dto';
import * as teamDtos from '../commands/dto/teams.dto';
import * as queryDtos from '../queries/dto/queries.dto';
import { ProblemException } from './problem';
import { createValidationPipe } from './validation';

type DtoClass = new () => object;

const rulesOf = (dto: DtoClass) => getMetadataStorage().getTargetValidationMetadatas(dto, '', false, false);

/** Every class of the DTO modules that class-validator has rules for: each body, query and path DTO. */
const dtos: DtoClass[] = [
  accessReviewDtos,
  auditQueryDtos,
  commonDtos,
  memberDtos,
  projectDtos,
  securityDtos,
  teamDtos,
  queryDtos,
].flatMap((module) =>
  Object.values(module).filter(
    (value): value is DtoClass => typeof value === 'function' && rulesOf(value as DtoClass).length > 0,
  ),
);

const fieldsOf = (dto: DtoClass): string[] => [...new Set(rulesOf(dto).map((rule) => rule.propertyName))];

async function refusedFields(dto: DtoClass, input: object, type: ArgumentMetadata['type'] = 'body'): Promise<string[]> {
  try {
    await createValidationPipe().transform(input, { type, metatype: dto });
  } catch (error) {
    if (error instanceof ProblemException) return (error.problem.errors ?? []).map((e) => e.field);
    throw error;
  }
  return [];
}

describe('null is never an absent value', () => {
  it('finds the DTOs', () => {
    expect(dtos.map((dto) => dto.name)).toEqual(
      expect.arrayContaining([
        'CreateTeamDto',
        'CreateProjectDto',
        'DeploymentProtectionDto',
        'ChangesQueryDto',
        'AuditQueryDto',
      ]),
    );
  });

  it.each(dtos.flatMap((dto) => fieldsOf(dto).map((field) => [dto.name, field, dto] as const)))(
    '%s.%s: null is refused',
    async (_name, field, dto) => {
      expect(await refusedFields(dto, { [field]: null })).toContain(field);
    },
  );

  it('leaving an optional field out is still fine', async () => {
    expect(await refusedFields(teamDtos.CreateTeamDto, { name: 'Acme', plan: 'pro' })).toEqual([]);
    expect(await refusedFields(securityDtos.DeploymentProtectionDto, {})).toEqual([]);
  });
});

describe('query integers', () => {
  it.each(['0x10', ' 5', '5 ', '1e1', '+5', '-5', '5.0', '0b101', '', '1000000000000000000000'])(
    'limit=%j is not plain decimal digits: isInt',
    async (limit) => {
      for (const dto of [queryDtos.ChangesQueryDto, auditQueryDtos.AuditQueryDto]) {
        expect(await refusedFields(dto, { limit }, 'query')).toContain('limit');
      }
    },
  );

  it('plain decimal digits are the number they spell', async () => {
    const query = await createValidationPipe().transform(
      { limit: '016' },
      { type: 'query', metatype: queryDtos.ChangesQueryDto },
    );
    expect(query).toMatchObject({ limit: 16 });
  });
});

describe('prototype keys in a query', () => {
  it.each(['__proto__', 'constructor', 'prototype'])('a %s parameter is refused as an unknown field', async (key) => {
    // Fastify's query parser builds null-prototype objects, where `__proto__` is an ordinary own key.
    const query = Object.assign(Object.create(null) as object, { teamId: 'acme' });
    Object.defineProperty(query, key, { value: '1', enumerable: true });
    expect(await refusedFields(queryDtos.ChangesQueryDto, query, 'query')).toEqual([key]);
  });
});
