import ipaddr from 'ipaddr.js';

/**
 * Parses an IPv4 (dotted quad only) or IPv6 CIDR and returns its canonical form: the network address in
 * shortest notation and the prefix length. Undefined when it is not a valid CIDR.
 */
export function canonicalCidr(input: string): string | undefined {
  const slash = input.indexOf('/');
  if (slash < 0 || input.length > 64) return undefined;
  const address = input.slice(0, slash);
  try {
    const [parsed, prefix] = ipaddr.parseCIDR(input);
    if (parsed.kind() === 'ipv4') {
      if (!ipaddr.IPv4.isValidFourPartDecimal(address)) return undefined;
      return `${ipaddr.IPv4.networkAddressFromCIDR(input).toString()}/${prefix}`;
    }
    return `${ipaddr.IPv6.networkAddressFromCIDR(input).toString()}/${prefix}`;
  } catch {
    return undefined;
  }
}
