import { createHmac, timingSafeEqual } from 'node:crypto';

export const drainIdHeader = 'x-access-audit-drain';
export const drainSignatureHeader = 'x-access-audit-signature';

/** `t=<unix seconds>,v1=<hex HMAC-SHA256 over "<t>.<body>" keyed by the secret>` (API.md "Audit log drains"). */
export function signDrainBody(secret: string, body: Buffer | string, unixSeconds: number): string {
  return `t=${unixSeconds},v1=${hmacHex(secret, unixSeconds, body)}`;
}

const hmacHex = (secret: string, t: number, body: Buffer | string): string =>
  createHmac('sha256', secret).update(`${t}.`).update(body).digest('hex');

export type DrainSignatureCheck = { valid: true; timestamp: number } | { valid: false; reason: string };

/**
 * A receiver's check of one delivery: the header parses, one v1 signature matches (constant-time), and its timestamp is
 * within `toleranceSeconds` of `nowSeconds` (a replayed old delivery is refused).
 */
export function verifyDrainSignature(
  secret: string,
  body: Buffer | string,
  header: string | undefined,
  options: { nowSeconds: number; toleranceSeconds: number },
): DrainSignatureCheck {
  if (header === undefined) return { valid: false, reason: 'no X-Access-Audit-Signature header' };
  const parts = header.split(',').map((part) => part.trim().split('='));
  const t = parts.find(([name]) => name === 't')?.[1];
  const signatures = parts.filter(([name]) => name === 'v1').map(([, value]) => value ?? '');
  if (t === undefined || !/^\d+$/.test(t) || signatures.length === 0) {
    return { valid: false, reason: 'the signature header is not t=<seconds>,v1=<hex>' };
  }
  const timestamp = Number(t);
  const expected = Buffer.from(hmacHex(secret, timestamp, body), 'hex');
  const matches = signatures.some((hex) => {
    const given = Buffer.from(hex, 'hex');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  if (!matches) return { valid: false, reason: 'the signature does not match the body' };
  if (Math.abs(options.nowSeconds - timestamp) > options.toleranceSeconds) {
    return {
      valid: false,
      reason: `signed at ${timestamp}, ${Math.abs(options.nowSeconds - timestamp)} s from the time it was received: outside the ${options.toleranceSeconds} s replay window`,
    };
  }
  return { valid: true, timestamp };
}
