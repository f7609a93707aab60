import { createHash, randomBytes } from 'node:crypto';
import { idPattern } from '@access-audit/config';

/** How long a printed sign-in link may be redeemed. */
export const signInLinkTtlMs = 10 * 60_000;

/** What a sign-in link code looks like: 256 random bits, base64url (43 characters). */
export const signInCodePattern = /^[A-Za-z0-9_-]{43}$/;

export type Redemption = { ok: true; userId: string } | { ok: false; why: 'unknown' | 'used' | 'expired' };

interface SignInLink {
  userId: string;
  expiresAtMs: number;
  used: boolean;
}

const hashOf = (code: string): string => createHash('sha256').update(code).digest('hex');

/**
 * One-time sign-in links of the embedded default (`npm start -- --sign-in alice`): the code goes to the terminal once,
 * only its SHA-256 stays here, in memory (a restart forgets every link), and it signs in once within its expiry.
 */
export class SignInLinks {
  /** Keyed by the code's hash; a used link stays until its expiry so a second use is told as such. */
  readonly #links = new Map<string, SignInLink>();

  constructor(private readonly now: () => number = Date.now) {}

  /** A new code for `userId`, valid once for signInLinkTtlMs. */
  issue(userId: string): string {
    if (!idPattern.test(userId))
      throw new Error('a sign-in link names a user id (1-128 letters, digits and . _ : @ | -)');
    this.#sweep();
    const code = randomBytes(32).toString('base64url');
    this.#links.set(hashOf(code), { userId, expiresAtMs: this.now() + signInLinkTtlMs, used: false });
    return code;
  }

  /** The user the code signs in, the first time only and before it expires. */
  redeem(code: string): Redemption {
    const hash = hashOf(code);
    const link = this.#links.get(hash);
    if (!link) return { ok: false, why: 'unknown' };
    if (this.now() >= link.expiresAtMs) {
      this.#links.delete(hash);
      return { ok: false, why: 'expired' };
    }
    if (link.used) return { ok: false, why: 'used' };
    link.used = true;
    return { ok: true, userId: link.userId };
  }

  /** How many links are kept (for tests: expired ones are forgotten). */
  get size(): number {
    this.#sweep();
    return this.#links.size;
  }

  #sweep(): void {
    const now = this.now();
    for (const [hash, link] of this.#links) if (now >= link.expiresAtMs) this.#links.delete(hash);
  }
}
