import type { ArgumentMetadata } from '@nestjs/common';
import { ChangeProjectSecurityDto } from '../commands/dto/security.dto';
import { AddMemberDto } from '../commands/dto/members.dto';
import { ProblemException } from './problem';
import { createValidationPipe } from './validation';

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
