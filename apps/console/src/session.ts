// The bearer token lives in this tab's sessionStorage only: never localStorage, never a cookie.
const tokenKey = 'access-audit.token';

export function currentToken(): string | null {
  return sessionStorage.getItem(tokenKey);
}

export function signIn(token: string): void {
  sessionStorage.setItem(tokenKey, token);
}

export function signOut(): void {
  sessionStorage.removeItem(tokenKey);
}

/** What a token says about itself (unverified: the API verifies it on every request). */
export interface TokenClaims {
  sub: string;
  exp?: number;
}

/** The claims of a JWT, or why the text is not one, in words. */
export function readToken(token: string): TokenClaims | string {
  const parts = token.split('.');
  if (parts.length !== 3) return 'This is not an access token: a token is three parts separated by dots (a JWT).';
  try {
    const json = atob(parts[1]!.replace(/-/g, '+').replace(/_/g, '/'));
    const claims: unknown = JSON.parse(json);
    if (typeof claims !== 'object' || claims === null) return 'The token carries no claims.';
    const { sub, exp } = claims as { sub?: unknown; exp?: unknown };
    if (typeof sub !== 'string' || sub === '') return 'The token names no user (no "sub" claim).';
    if (typeof exp === 'number' && exp * 1000 <= Date.now())
      return `The token expired at ${new Date(exp * 1000).toISOString()}; mint a new one.`;
    return typeof exp === 'number' ? { sub, exp } : { sub };
  } catch {
    return 'The token cannot be read: its middle part is not base64url-encoded JSON.';
  }
}
