// Listener tls.options: implementation-specific TLS settings. Keys of our own domain are read into
// the listener IR; a key of our domain we do not know, or a bad value, makes the listener not
// accepted (UnsupportedValue) rather than silently serving weaker settings than asked for. Keys of
// other domains belong to other implementations and are ignored.

import type { ListenerTLSIR } from '../../ir/types.ts';
import type { Verdict } from './state.ts';

export const TLS_OPTION_PREFIX = 'portunus.dev/';

const VERSIONS = ['TLSv1.2', 'TLSv1.3'] as const;
type Version = (typeof VERSIONS)[number];

function list(value: string): string[] {
  return value
    .split(/[,:\s]+/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** Applies our options to `tls`; returns the first problem, or null. */
export function applyTLSOptions(tls: ListenerTLSIR, options: Record<string, string> | undefined): Verdict | null {
  for (const key of Object.keys(options ?? {}).sort()) {
    if (!key.startsWith(TLS_OPTION_PREFIX)) continue;
    const value = options![key]!;
    const name = key.slice(TLS_OPTION_PREFIX.length);
    switch (name) {
      case 'min-version':
      case 'max-version': {
        if (!(VERSIONS as readonly string[]).includes(value)) {
          return bad(`tls.options["${key}"] must be one of ${VERSIONS.join(', ')} (got "${value}")`);
        }
        if (name === 'min-version') tls.minVersion = value as Version;
        else tls.maxVersion = value as Version;
        break;
      }
      case 'ciphers': {
        const ciphers = list(value);
        if (ciphers.length === 0) return bad(`tls.options["${key}"] names no cipher`);
        tls.ciphers = ciphers;
        break;
      }
      case 'alpn': {
        const protocols = list(value);
        if (protocols.length === 0) return bad(`tls.options["${key}"] names no protocol`);
        tls.alpn = protocols;
        break;
      }
      default:
        return bad(`tls.options key "${key}" is not known (known: min-version, max-version, ciphers, alpn)`);
    }
  }
  if (tls.minVersion && tls.maxVersion && VERSIONS.indexOf(tls.minVersion) > VERSIONS.indexOf(tls.maxVersion)) {
    return bad(`tls.options min-version ${tls.minVersion} is above max-version ${tls.maxVersion}`);
  }
  return null;
}

function bad(message: string): Verdict {
  return { status: false, reason: 'UnsupportedValue', message };
}
