// `--address-pool`: the addresses serve hands out, one per Gateway that names none.
// Syntax: a comma-separated list of IPs and inclusive IPv4 ranges, e.g.
// "127.0.1.1-127.0.1.254,10.0.0.7". Order is kept: the oldest Gateway gets the first address.

import { isIP, isIPv4 } from 'node:net';

/** More than any one process should bind; a typo like 10.0.0.0-10.255.255.255 is refused. */
export const MAX_POOL_ADDRESSES = 65_536;

function ipv4ToInt(ip: string): number {
  return ip.split('.').reduce((n, part) => n * 256 + Number(part), 0);
}

function intToIpv4(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}

/** Parses the pool; throws an Error naming the bad entry. */
export function parseAddressPool(text: string): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  const push = (ip: string): void => {
    if (seen.has(ip)) return;
    seen.add(ip);
    out.push(ip);
    if (out.length > MAX_POOL_ADDRESSES) throw new Error(`address pool has more than ${MAX_POOL_ADDRESSES} addresses`);
  };
  for (const raw of text.split(',')) {
    const entry = raw.trim();
    if (entry === '') continue;
    const dash = entry.indexOf('-');
    if (dash === -1) {
      if (isIP(entry) === 0) throw new Error(`address pool entry "${entry}" is not an IP address`);
      push(entry);
      continue;
    }
    const from = entry.slice(0, dash).trim();
    const to = entry.slice(dash + 1).trim();
    if (!isIPv4(from) || !isIPv4(to)) throw new Error(`address pool range "${entry}" must be two IPv4 addresses`);
    const a = ipv4ToInt(from);
    const b = ipv4ToInt(to);
    if (b < a) throw new Error(`address pool range "${entry}" ends before it starts`);
    if (b - a + 1 > MAX_POOL_ADDRESSES)
      throw new Error(`address pool range "${entry}" is larger than ${MAX_POOL_ADDRESSES}`);
    for (let n = a; n <= b; n++) push(intToIpv4(n));
  }
  if (out.length === 0) throw new Error('address pool is empty');
  return out;
}
