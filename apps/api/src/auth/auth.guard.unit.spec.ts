import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { SignJWT } from 'jose';
import { ProblemException } from '../http/problem';
import { AuthGuard } from './auth.guard';
import { JwtVerifier } from './jwt-verifier';
import { Public, type Principal } from './principal';

class Routes {
  read(): void {}
  @Public()
  health(): void {}
}

const secret = 's'.repeat(32);
const sign = (scope?: string): Promise<string> =>
  new SignJWT(scope ? { scope } : {})
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('alice')
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(secret));

function contextOf(handler: () => void, method: string, authorization?: string) {
  const request = {
    method,
    headers: authorization ? { authorization } : {},
    raw: { rawHeaders: authorization ? ['Authorization', authorization] : [] },
    principal: undefined as Principal | undefined,
  };
  const context = {
    getType: () => 'http',
    getHandler: () => handler,
    getClass: () => Routes,
    switchToHttp: () => ({ getRequest: () => request }),
  } as unknown as ExecutionContext;
  return { context, request };
}

describe('the global AuthGuard', () => {
  const guard = () => new AuthGuard(new Reflector(), new JwtVerifier({ kind: 'hs256' }, secret));

  it('admits a token that verified before at once, without a promise, with the same principal', async () => {
    const auth = guard();
    const token = `Bearer ${await sign()}`;
    const first = contextOf(Routes.prototype.read, 'GET', token);
    await expect(Promise.resolve(auth.canActivate(first.context))).resolves.toBe(true);
    const again = contextOf(Routes.prototype.read, 'GET', token);
    expect(auth.canActivate(again.context)).toBe(true);
    expect(again.request.principal).toEqual({ userId: 'alice', scopes: [], isReader: false });
    expect(again.request.principal).toBe(first.request.principal);
  });

  it('refuses a machine reader any command, whether its token is remembered or not', async () => {
    const auth = guard();
    const token = `Bearer ${await sign('access:read')}`;
    await expect(
      Promise.resolve().then(() => auth.canActivate(contextOf(Routes.prototype.read, 'POST', token).context)),
    ).rejects.toBeInstanceOf(ProblemException);
    expect(() => auth.canActivate(contextOf(Routes.prototype.read, 'POST', token).context)).toThrow(ProblemException);
    expect(auth.canActivate(contextOf(Routes.prototype.read, 'GET', token).context)).toBe(true);
  });

  it('lets a public route through without a token, and refuses a missing token elsewhere', () => {
    const auth = guard();
    expect(auth.canActivate(contextOf(Routes.prototype.health, 'GET').context)).toBe(true);
    expect(() => auth.canActivate(contextOf(Routes.prototype.read, 'GET').context)).toThrow(ProblemException);
  });
});
