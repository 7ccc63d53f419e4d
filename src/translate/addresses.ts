// Gateway addresses (spec.addresses): which can be bound, which are reported in status, and the
// conditions for the others. Pure: the host is known only through what the caller passes.

import { isIP } from 'node:net';
import type { GatewayAddress } from '../api/types.ts';
import type { TranslateOptions } from './context.ts';
import type { Verdict } from './listener/state.ts';

/** Addresses meaning "every address": an IR with no addresses binds them all. */
export const ANY_ADDRESS: ReadonlySet<string> = new Set(['0.0.0.0', '::']);

export interface AddressVerdicts {
  unsupported: Verdict | null;
  problem: Verdict | null;
  bound: string[];
  status: { type: string; value: string }[];
}

/**
 * Addresses. The translator never looks at the host, so it decides from the values (and, when the
 * caller passes them, the host's own addresses):
 * - IPAddress with a valid IPv4/IPv6 value is bound as given and reported in status;
 * - an IPAddress without value gets the default address (options.defaultAddress);
 * - a Gateway without addresses listens on the default address, which status reports;
 * - an address type other than IPAddress/Hostname, or a malformed IP: Accepted=False UnsupportedAddress;
 * - Programmed=False AddressNotUsable for addresses no listening socket can use: Hostname
 *   addresses (sockets bind IPs), multicast/broadcast, documentation-only ranges (RFC 5737,
 *   RFC 3849), and, when options.hostAddresses is given, IPs the host does not have;
 * - a Hostname without value: Programmed=False AddressNotAssigned (Portunus has none to assign).
 * Unusable addresses are left out of status.addresses.
 */
export function analyzeAddresses(
  addresses: readonly GatewayAddress[] | undefined,
  options: Pick<TranslateOptions, 'defaultAddress' | 'hostAddresses'> = {},
): AddressVerdicts {
  const out: AddressVerdicts = { unsupported: null, problem: null, bound: [], status: [] };
  const defaultAddress = options.defaultAddress ?? DEFAULT_ADDRESS;
  const unusable: string[] = [];
  let unassigned = false;
  const bind = (value: string) => {
    if (out.status.some((a) => a.value === value)) return;
    out.status.push({ type: 'IPAddress', value });
    // An unspecified address means every address, which is what an empty IR list says.
    if (!ANY_ADDRESS.has(value)) out.bound.push(value);
  };
  for (const a of addresses ?? []) {
    const type = a.type ?? 'IPAddress';
    const value = a.value ?? '';
    if (type !== 'IPAddress' && type !== 'Hostname') {
      out.unsupported ??= {
        status: false,
        reason: 'UnsupportedAddress',
        message: `address type "${type}" is not supported; use IPAddress`,
      };
      continue;
    }
    if (type === 'Hostname') {
      if (value === '') unassigned = true;
      else unusable.push(`${value} (Hostname addresses cannot be bound; use IPAddress)`);
      continue;
    }
    if (value === '') {
      bind(defaultAddress);
      continue;
    }
    const family = isIP(value);
    if (family === 0) {
      out.unsupported ??= {
        status: false,
        reason: 'UnsupportedAddress',
        message: `"${value}" is not a valid IP address`,
      };
      continue;
    }
    const why = unusableReason(value, family, options.hostAddresses);
    if (why) {
      unusable.push(`${value} (${why})`);
      continue;
    }
    bind(value);
  }
  if (unusable.length > 0) {
    out.problem = {
      status: false,
      reason: 'AddressNotUsable',
      message: `addresses cannot be used: ${unusable.join(', ')}`,
    };
  } else if (unassigned) {
    out.problem = {
      status: false,
      reason: 'AddressNotAssigned',
      message: 'a Hostname address without a value was requested; Portunus has no hostname to assign',
    };
  }
  if ((addresses ?? []).length === 0) bind(defaultAddress);
  if (out.status.some((a) => ANY_ADDRESS.has(a.value))) out.bound = [];
  return out;
}

/** Listens on every IPv4 address, like `portunus serve` without --bind-address. */
export const DEFAULT_ADDRESS = '0.0.0.0';

function unusableReason(ip: string, family: number, hostAddresses: readonly string[] | undefined): string | null {
  if (isMulticastOrBroadcast(ip, family)) return 'multicast/broadcast addresses cannot be bound';
  if (isDocumentationAddress(ip, family)) return 'documentation-only address, never assigned to a host';
  if (hostAddresses && !ANY_ADDRESS.has(ip) && !hostAddresses.includes(ip)) return 'not an address of this host';
  return null;
}

function isDocumentationAddress(ip: string, family: number): boolean {
  if (family === 4) return /^(192\.0\.2|198\.51\.100|203\.0\.113)\./.test(ip);
  return /^2001:0?db8:/i.test(ip);
}

function isMulticastOrBroadcast(ip: string, family: number): boolean {
  if (family === 4) {
    const first = Number(ip.split('.')[0]);
    return (first >= 224 && first <= 239) || ip === '255.255.255.255';
  }
  return ip.toLowerCase().startsWith('ff');
}
