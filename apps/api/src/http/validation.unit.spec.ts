import { ValidationPipe, type ArgumentMetadata } from '@nestjs/common';
import * as classTransformer from 'class-transformer';
import fc from 'fast-check';
import { permissions } from '@access-audit/domain';
import { ChangeProjectSecurityDto } from '../commands/dto/security.dto';
import { AddMemberDto } from '../commands/dto/members.dto';
import { CreateProjectDto } from '../commands/dto/projects.dto';
import {
  ChangesQueryDto,
  CheckQueryDto,
  MemberPathDto,
  PermissionsQueryDto,
  ProjectAccessQueryDto,
  ReadOptionsDto,
} from '../queries/dto/queries.dto';
import { ProblemException } from './problem';
import { createValidationPipe, validationPipeOptions } from './validation';

const asBody = (metatype: ArgumentMetadata['metatype']): ArgumentMetadata => ({ type: 'body', metatype });

async function problemOf(value: unknown, metatype: ArgumentMetadata['metatype']) {
  try {
    await createValidationPipe().transform(value, asBody(metatype));
  } catch (error) {
    if (error instanceof ProblemException) return error.problem;
    throw error;
  }
  throw new Error('the value was accepted');
}

describe('the global validation pipe', () => {
  it('reports nested and indexed paths with the class-validator constraint as the rule', async () => {
    const problem = await problemOf(
      {
        rateLimitRules: {
          set: [
            { id: 'ok', path: '/a', limit: 1, windowSeconds: 1 },
            { id: 'ok2', path: 7, limit: 1, windowSeconds: 1 },
          ],
        },
      },
      ChangeProjectSecurityDto,
    );
    expect(problem.status).toBe(400);
    expect(problem.errors).toContainEqual(
      expect.objectContaining({ field: 'rateLimitRules.set[1].path', rule: 'isString' }),
    );
    expect(new Set(problem.errors!.map((e) => e.field))).toEqual(new Set(['rateLimitRules.set[1].path']));
  });

  it('refuses unknown fields at any depth and never repeats their values', async () => {
    const problem = await problemOf(
      { deploymentProtection: { passwordProtection: { enabled: true, password: 'correct horse battery staple' } } },
      ChangeProjectSecurityDto,
    );
    expect(problem.errors).toEqual([
      {
        field: 'deploymentProtection.passwordProtection.password',
        rule: 'whitelistValidation',
        message: expect.any(String),
      },
    ]);
    expect(JSON.stringify(problem)).not.toContain('correct horse');
  });

  it('turns the viewer alias into enterprise_viewer and leaves other roles alone', async () => {
    const pipe = createValidationPipe();
    await expect(pipe.transform({ userId: 'bob', role: 'viewer' }, asBody(AddMemberDto))).resolves.toMatchObject({
      role: 'enterprise_viewer',
    });
    await expect(pipe.transform({ userId: 'bob', role: 'member' }, asBody(AddMemberDto))).resolves.toMatchObject({
      role: 'member',
    });
    const problem = await problemOf({ userId: 'bob', role: 'toString' }, AddMemberDto);
    expect(problem.errors).toEqual([expect.objectContaining({ field: 'role', rule: 'isIn' })]);
  });

  it('refuses a body that is not an object', async () => {
    const problem = await problemOf(['bob'], AddMemberDto);
    expect(problem.status).toBe(400);
  });
});

describe('the global validation pipe against a stock ValidationPipe with the same options', () => {
  type Outcome = { accepted: true; value: unknown; dto: string } | { accepted: false; problem: unknown };
  const outcomeOf = async (pipe: ValidationPipe, value: unknown, metadata: ArgumentMetadata): Promise<Outcome> => {
    try {
      const result: unknown = await pipe.transform(structuredClone(value), metadata);
      return { accepted: true, value: { ...(result as object) }, dto: (result as object).constructor.name };
    } catch (error) {
      if (error instanceof ProblemException) return { accepted: false, problem: error.problem };
      throw error;
    }
  };

  const dtos = [
    CheckQueryDto,
    PermissionsQueryDto,
    ProjectAccessQueryDto,
    ChangesQueryDto,
    ReadOptionsDto,
    MemberPathDto,
    AddMemberDto,
    CreateProjectDto,
    ChangeProjectSecurityDto,
  ];
  const id = fc.oneof(
    fc.constantFrom('acme', 'bob', 'web', 'a.b_c:d@e|f-g', 'x'.repeat(128)),
    fc.constantFrom('', ' bob', '-bob', 'x'.repeat(129), 'bob\n', 'b ob'),
    fc.string({ maxLength: 12 }),
  );
  const value = fc.oneof(
    id,
    fc.constantFrom(...permissions.slice(0, 5), 'project.deploy', 'toString', '__proto__'),
    fc.constantFrom('2025-03-03T12:00:00Z', '2025-03-03', '2025-03-03 12:00:00Z', 'March 3', '2025-02-30T00:00:00Z'),
    fc.constantFrom('42', '0', '1000', '1001', '-1', '1.5', 'abc', 'member', 'viewer', 'owner'),
    fc.array(fc.constantFrom('bob', 'acme', '1'), { maxLength: 3 }),
    fc.constantFrom(null, undefined, 7, true),
  );
  const key = fc.constantFrom(
    'teamId',
    'userId',
    'projectId',
    'permission',
    'at',
    'minPosition',
    'after',
    'limit',
    'id',
    'name',
    'role',
    'reason',
    'stray',
  );

  it('accepts and refuses exactly the same inputs, with the same values and the same errors', async () => {
    const reference = new ValidationPipe(validationPipeOptions);
    const pipe = createValidationPipe();
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...dtos), fc.dictionary(key, value, { maxKeys: 6 }), async (dto, input) => {
        for (const type of ['query', 'param'] as const) {
          const metadata: ArgumentMetadata = { type, metatype: dto };
          expect(await outcomeOf(pipe, input, metadata)).toEqual(await outcomeOf(reference, input, metadata));
        }
      }),
      { numRuns: 3000 },
    );
    // 3000 runs take 1.5 to 5 s on a busy 2-core machine: a deadline well past the 5 s default, not a speed bound.
  }, 60_000);

  it('answers a valid check query without calling class-validator, and an invalid one through it', async () => {
    const classValidator = jest.spyOn(ValidationPipe.prototype as unknown as { validate: () => unknown }, 'validate');
    try {
      const pipe = createValidationPipe();
      const metadata: ArgumentMetadata = { type: 'query', metatype: CheckQueryDto };
      const query = { teamId: 'acme', userId: 'bob', permission: 'project.deploy.production', projectId: 'web' };
      await expect(pipe.transform({ ...query }, metadata)).resolves.toBeInstanceOf(CheckQueryDto);
      expect(classValidator).not.toHaveBeenCalled();
      await expect(pipe.transform({ ...query, userId: 'b ob' }, metadata)).rejects.toBeInstanceOf(ProblemException);
      await expect(pipe.transform({ ...query, stray: '1' }, metadata)).rejects.toBeInstanceOf(ProblemException);
      expect(classValidator).toHaveBeenCalledTimes(2);
    } finally {
      classValidator.mockRestore();
    }
  });

  it('builds a valid check query or path DTO without class-transformer, and a transformed or invalid one with it', async () => {
    const plainToInstance = jest.spyOn(classTransformer, 'plainToInstance');
    try {
      const pipe = createValidationPipe();
      const query = { teamId: 'acme', userId: 'bob', permission: 'project.deploy.production', projectId: 'web' };
      const dto = await pipe.transform({ ...query }, { type: 'query', metatype: CheckQueryDto });
      expect(dto).toBeInstanceOf(CheckQueryDto);
      expect({ ...dto }).toEqual({ ...query, at: undefined, minPosition: undefined });
      await expect(
        pipe.transform({ teamId: 'acme', userId: 'bob' }, { type: 'param', metatype: MemberPathDto }),
      ).resolves.toBeInstanceOf(MemberPathDto);
      expect(plainToInstance).not.toHaveBeenCalled();
      // limit carries @Transform (decimal digits become a number): class-transformer's to apply.
      await expect(pipe.transform({ limit: '5' }, { type: 'query', metatype: ChangesQueryDto })).resolves.toMatchObject(
        {
          limit: 5,
        },
      );
      await expect(
        pipe.transform({ ...query, permission: 'toString' }, { type: 'query', metatype: CheckQueryDto }),
      ).rejects.toBeInstanceOf(ProblemException);
      expect(plainToInstance).toHaveBeenCalledTimes(2);
    } finally {
      plainToInstance.mockRestore();
    }
  });
});
