import { SignInLinks, signInCodePattern, signInLinkTtlMs } from './sign-in-links';

describe('one-time sign-in links', () => {
  let now: number;
  let links: SignInLinks;
  beforeEach(() => {
    now = Date.parse('2026-03-01T10:00:00Z');
    links = new SignInLinks(() => now);
  });

  it('a code signs its user in once; the second use is refused as used', () => {
    const code = links.issue('alice');
    expect(code).toMatch(signInCodePattern);
    expect(links.redeem(code)).toEqual({ ok: true, userId: 'alice' });
    expect(links.redeem(code)).toEqual({ ok: false, why: 'used' });
  });

  it('a code expires after ten minutes, and is then forgotten', () => {
    const code = links.issue('alice');
    now += signInLinkTtlMs - 1;
    const other = links.issue('bob');
    now += 1;
    expect(links.redeem(code)).toEqual({ ok: false, why: 'expired' });
    expect(links.redeem(code)).toEqual({ ok: false, why: 'unknown' });
    expect(links.redeem(other)).toEqual({ ok: true, userId: 'bob' });
    now += signInLinkTtlMs;
    expect(links.size).toBe(0);
  });

  it('an unknown code, or one differing by a character, signs no one in', () => {
    const code = links.issue('alice');
    const altered = `${code.slice(0, -1)}${code.endsWith('A') ? 'B' : 'A'}`;
    expect(links.redeem(altered)).toEqual({ ok: false, why: 'unknown' });
    expect(links.redeem('x'.repeat(43))).toEqual({ ok: false, why: 'unknown' });
    expect(links.redeem(code)).toEqual({ ok: true, userId: 'alice' });
  });

  it('codes are random and each user has their own', () => {
    const codes = new Set([links.issue('alice'), links.issue('alice'), links.issue('bob')]);
    expect(codes.size).toBe(3);
  });

  it('refuses a user id that is not one', () => {
    expect(() => links.issue('<script>')).toThrow(/user id/);
  });
});
