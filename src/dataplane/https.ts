// Downstream TLS for HTTPS listeners: certificates are compiled into secure contexts once per
// config version and chosen per handshake by SNI (exact name, then wildcard, then the default).
// ALPN picks HTTP/2 or HTTP/1.1 after the handshake.
//
// Gateways with their own addresses sharing a port: each address has its own table (its Gateways'
// certificates, then the address-less Gateways'), so a connection to one Gateway's address is never
// answered with another Gateway's certificate for a name both cover. `selectContext` uses it when
// the caller passes the connection's local address.
import type tls from 'node:tls';
import { lazyTls } from './builtins.ts';
import type { ListenerIR } from '../ir/types.ts';
import { compileHostTable, type HostTable, lookupHost } from './router/hosts.ts';

export interface AddressTLS {
  /** SNI name → secure context, among the certificates of the Gateways reachable on the address. */
  readonly contexts: HostTable<tls.SecureContext>;
  /** Their first certificate, for names none of them covers. */
  readonly fallback: tls.SecureContext | null;
}

export interface PortTLS {
  /** SNI name → secure context (from certificate DNS names). */
  readonly contexts: HostTable<tls.SecureContext>;
  /** Used when SNI is absent or matches no certificate. */
  readonly fallback: tls.SecureContext | null;
  /** PEMs of the fallback certificate, for the server's default context. */
  readonly fallbackPem: { cert: string; key: string } | null;
  /**
   * Local address → the certificates a connection to it may get; null when no Gateway on the port
   * names an address. Addresses no Gateway names get `anyAddress`.
   */
  readonly byAddress: Map<string, AddressTLS> | null;
  /** The address-less Gateways' certificates (connections to an address no Gateway names). */
  readonly anyAddress: AddressTLS;
  /** ALPN protocols offered on the port (from the listeners' tls.alpn, else h2 and http/1.1). */
  readonly alpn: string[];
  /** True when some listener on the port validates client certificates. */
  readonly requestCert: boolean;
  /** Listener name → client validation mode, for the post-handshake check. */
  readonly clientValidation: Map<string, 'AllowValidOnly' | 'AllowInsecureFallback'>;
}

type Entry = [string | null, tls.SecureContext];

// compileHostTable treats null/"*" as the catch-all; certificates have no such name.
function table(entries: Entry[]): AddressTLS {
  return {
    contexts: compileHostTable(entries.filter((e) => e[0] !== null && e[0] !== '*')),
    fallback: entries[0]?.[1] ?? null,
  };
}

/**
 * `addresses[i]` are the addresses of the Gateway of `listeners[i]` (empty: every local address);
 * without it every listener is reachable on every address.
 */
export function compilePortTLS(listeners: ListenerIR[], addresses?: readonly (readonly string[])[]): PortTLS {
  const perListener: Entry[][] = [];
  const all: Entry[] = [];
  let fallbackPem: { cert: string; key: string } | null = null;
  const clientValidation = new Map<string, 'AllowValidOnly' | 'AllowInsecureFallback'>();
  let alpn: string[] | null = null;
  for (const l of listeners) {
    const entries: Entry[] = [];
    perListener.push(entries);
    const t = l.tls;
    if (t === undefined || t.mode !== 'Terminate') continue;
    // ALPN is negotiated before the listener is known, so the port uses the first listener's list.
    if (alpn === null && t.alpn !== undefined && t.alpn.length > 0) alpn = t.alpn;
    if (t.clientValidation !== undefined) clientValidation.set(l.name, t.clientValidation.mode);
    for (const cert of t.certificates) {
      const ctx = lazyTls().createSecureContext({
        cert: cert.certPem,
        key: cert.keyPem,
        minVersion: t.minVersion ?? 'TLSv1.2',
        maxVersion: t.maxVersion,
        ciphers: t.ciphers !== undefined && t.ciphers.length > 0 ? t.ciphers.join(':') : undefined,
        ca: t.clientValidation?.caPem,
      });
      fallbackPem ??= { cert: cert.certPem, key: cert.keyPem };
      // The first entry of a listener is its first certificate: the fallback of its address.
      const first = entries.length;
      for (const name of cert.dnsNames) entries.push([name, ctx]);
      // A listener hostname also selects its certificate when the certificate names differ.
      if (l.hostname !== null) entries.push([l.hostname, ctx]);
      if (entries.length === first) entries.push([null, ctx]);
    }
    all.push(...entries);
  }
  const port = table(all);
  const anyIdx = listeners.flatMap((_, i) => ((addresses?.[i]?.length ?? 0) === 0 ? [i] : []));
  const anyAddress = addresses === undefined ? port : table(anyIdx.flatMap((i) => perListener[i]!));
  let byAddress: Map<string, AddressTLS> | null = null;
  const named = new Set((addresses ?? []).flat());
  if (named.size > 0) {
    byAddress = new Map();
    for (const a of named) {
      const own = listeners.flatMap((_, i) => (addresses![i]!.includes(a) ? [i] : []));
      byAddress.set(a, table([...own, ...anyIdx].flatMap((i) => perListener[i]!)));
    }
  }
  return {
    contexts: port.contexts,
    fallback: port.fallback,
    fallbackPem,
    byAddress,
    anyAddress,
    alpn: alpn ?? ['h2', 'http/1.1'],
    requestCert: clientValidation.size > 0,
    clientValidation,
  };
}

/**
 * The context for an SNI name. With the connection's local address (as `clientAddress` gives it),
 * only the certificates of the Gateways reachable there are candidates, and null means none of them
 * terminates TLS on this port (the handshake should be refused); without it, every certificate on
 * the port is.
 */
export function selectContext(t: PortTLS, servername: string, localAddress?: string): tls.SecureContext | null {
  const name = servername.toLowerCase();
  if (localAddress === undefined) return lookupHost(t.contexts, name) ?? t.fallback;
  const a = t.byAddress?.get(localAddress) ?? t.anyAddress;
  // null: no Gateway reachable on this address terminates TLS on the port.
  return lookupHost(a.contexts, name) ?? a.fallback;
}
