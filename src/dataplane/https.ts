// Downstream TLS for HTTPS listeners: certificates are compiled into secure contexts once per
// config version and chosen per handshake by SNI (exact name, then wildcard, then the default).
// ALPN picks HTTP/2 or HTTP/1.1 after the handshake.
import tls from 'node:tls';
import type { ListenerIR } from '../ir/types.ts';
import { compileHostTable, type HostTable, lookupHost } from './router/hosts.ts';

export interface PortTLS {
  /** SNI name → secure context (from certificate DNS names). */
  readonly contexts: HostTable<tls.SecureContext>;
  /** Used when SNI is absent or matches no certificate. */
  readonly fallback: tls.SecureContext | null;
  /** PEMs of the fallback certificate, for the server's default context. */
  readonly fallbackPem: { cert: string; key: string } | null;
  /** ALPN protocols offered on the port (from the listeners' tls.alpn, else h2 and http/1.1). */
  readonly alpn: string[];
  /** True when some listener on the port validates client certificates. */
  readonly requestCert: boolean;
  /** Listener name → client validation mode, for the post-handshake check. */
  readonly clientValidation: Map<string, 'AllowValidOnly' | 'AllowInsecureFallback'>;
}

export function compilePortTLS(listeners: ListenerIR[]): PortTLS {
  const entries: [string | null, tls.SecureContext][] = [];
  let fallback: tls.SecureContext | null = null;
  let fallbackPem: { cert: string; key: string } | null = null;
  const clientValidation = new Map<string, 'AllowValidOnly' | 'AllowInsecureFallback'>();
  let alpn: string[] | null = null;
  for (const l of listeners) {
    const t = l.tls;
    if (t === undefined || t.mode !== 'Terminate') continue;
    // ALPN is negotiated before the listener is known, so the port uses the first listener's list.
    if (alpn === null && t.alpn !== undefined && t.alpn.length > 0) alpn = t.alpn;
    if (t.clientValidation !== undefined) clientValidation.set(l.name, t.clientValidation.mode);
    for (const cert of t.certificates) {
      const ctx = tls.createSecureContext({
        cert: cert.certPem,
        key: cert.keyPem,
        minVersion: t.minVersion ?? 'TLSv1.2',
        maxVersion: t.maxVersion,
        ciphers: t.ciphers !== undefined && t.ciphers.length > 0 ? t.ciphers.join(':') : undefined,
        ca: t.clientValidation?.caPem,
      });
      if (fallback === null) {
        fallback = ctx;
        fallbackPem = { cert: cert.certPem, key: cert.keyPem };
      }
      for (const name of cert.dnsNames) entries.push([name, ctx]);
      // A listener hostname also selects its certificate when the certificate names differ.
      if (l.hostname !== null) entries.push([l.hostname, ctx]);
    }
  }
  // compileHostTable treats null/"*" as the catch-all; certificates have no such name.
  return {
    contexts: compileHostTable(entries.filter((e) => e[0] !== null && e[0] !== '*')),
    fallback,
    fallbackPem,
    alpn: alpn ?? ['h2', 'http/1.1'],
    requestCert: clientValidation.size > 0,
    clientValidation,
  };
}

export function selectContext(t: PortTLS, servername: string): tls.SecureContext | null {
  return lookupHost(t.contexts, servername.toLowerCase()) ?? t.fallback;
}
