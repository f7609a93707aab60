import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * Hosts the operator lets drains reach although they are local or plain http (`DRAIN_ALLOW_HOSTS=127.0.0.1,siem.lan`):
 * matched against the URL's host name, lower case, IPv6 without brackets.
 */
export class DrainAllowList {
  readonly #hosts: ReadonlySet<string>;

  constructor(hosts: Iterable<string> = []) {
    this.#hosts = new Set([...hosts].map(normaliseHost).filter((host) => host !== ''));
  }

  static fromEnv(value: string | undefined): DrainAllowList {
    return new DrainAllowList((value ?? '').split(','));
  }

  allows(host: string): boolean {
    return this.#hosts.has(normaliseHost(host));
  }
}

const normaliseHost = (host: string): string =>
  host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1');

/** Why a drain target is refused; `rule` names the check for a 400 answer. */
export class DrainTargetRefused extends Error {
  constructor(
    readonly rule: 'drainUrlHttps' | 'drainUrlPublicAddress' | 'drainUrlNoCredentials' | 'drainUrlValid',
    message: string,
  ) {
    super(message);
    this.name = 'DrainTargetRefused';
  }
}

/**
 * Whether an address may be connected to: only public unicast (no loopback, private, link-local — the cloud metadata
 * address 169.254.169.254 is one —, unique-local, carrier-grade NAT, multicast, reserved or unspecified ranges).
 * IPv4-mapped IPv6 addresses are judged as the IPv4 address they carry; IPv4-compatible ones (::/96) are refused.
 */
export function refusedAddress(address: string): string | undefined {
  if (!ipaddr.isValid(address)) return `${address} is not an IP address`;
  const parsed = ipaddr.process(address);
  const range = parsed.range();
  // ::/96 (deprecated IPv4-compatible, e.g. ::7f00:1) is 'unicast' to ipaddr.js; some stacks route it to the IPv4 it carries.
  if (
    range === 'unicast' &&
    parsed.kind() === 'ipv6' &&
    parsed
      .toByteArray()
      .slice(0, 12)
      .every((b) => b === 0)
  )
    return `${address} is a ipv4Compatible address`;
  return range === 'unicast' ? undefined : `${address} is a ${range} address`;
}

/**
 * Checks a drain URL as configured: https (http only for an allowed host), no user info (credentials would enter the
 * log with the URL), and a literal IP address must be public unless allowed. Names resolve at each connection instead.
 */
export function checkDrainUrl(text: string, allow: DrainAllowList): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new DrainTargetRefused('drainUrlValid', 'url must be an absolute URL');
  }
  const allowed = allow.allows(url.hostname);
  if (url.protocol !== 'https:' && !(allowed && url.protocol === 'http:')) {
    throw new DrainTargetRefused(
      'drainUrlHttps',
      `url must be https:// (plain http only for a host in DRAIN_ALLOW_HOSTS), not ${url.protocol}`,
    );
  }
  if (url.username !== '' || url.password !== '') {
    throw new DrainTargetRefused(
      'drainUrlNoCredentials',
      'url may not hold credentials (they would be recorded with it); pass them as authorization instead',
    );
  }
  const host = normaliseHost(url.hostname);
  if (!allowed && isIP(host) !== 0) {
    const refused = refusedAddress(host);
    if (refused) throw new DrainTargetRefused('drainUrlPublicAddress', `url may not point at ${refused}`);
  }
  if (!allowed && (host === 'localhost' || host.endsWith('.localhost'))) {
    throw new DrainTargetRefused('drainUrlPublicAddress', `url may not point at ${host}`);
  }
  return url;
}

/**
 * A `lookup` for http(s).request that refuses every resolved address outside the public ranges, so the check runs on
 * each new connection (a name that resolves somewhere public at configuration and to 127.0.0.1 later is still refused).
 * Node skips `lookup` for a literal IP: `checkDrainUrl` judges those before each request.
 */
export function guardedLookup(allow: DrainAllowList, resolve: typeof dnsLookup = dnsLookup): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, '', 0);
      const all = addresses as unknown as LookupAddress[];
      if (!allow.allows(hostname)) {
        const refused = all.map((a) => refusedAddress(a.address)).find((reason) => reason !== undefined);
        if (refused) {
          const blocked = Object.assign(
            new Error(`refused: ${hostname} resolves to an address drains may not reach (${refused})`),
            {
              code: 'EDRAINADDRESS',
            },
          );
          return callback(blocked, '', 0);
        }
      }
      if (options.all) return callback(null, all);
      const [first] = all;
      if (!first) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), '', 0);
      return callback(null, first.address, first.family);
    });
  };
}
