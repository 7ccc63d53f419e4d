// Downstream TLS termination for one listener: secure contexts compiled once per config version,
// chosen per handshake by SNI, and a way to turn an accepted raw socket into a server TLSSocket.
//
// Certificate choice: exact DNS name, then the longest matching wildcard, then the default (the
// first certificate). Certificates of different key types covering the same name (an RSA and an
// ECDSA certificate for "example.com") share one context, so OpenSSL can serve each client the kind
// it supports.
//
// Rotation: a new config version compiles a new ListenerTLS; connections already accepted keep the
// context they were handshaken with. `fingerprint` lets a caller reuse an unchanged compilation.
//
// Client certificates (mTLS): verification runs inside node:tls. With AllowValidOnly a connection
// without a valid certificate is closed before `terminateTLS` reports it; with AllowInsecureFallback
// it is reported with the verification result in `clientCert`.
import crypto from 'node:crypto';
import type net from 'node:net';
import tls from 'node:tls';
import type { CertificateIR, ListenerTLSIR } from '../../ir/types.ts';
import { compileHostTable, type HostTable, lookupHost } from '../router/hosts.ts';

export const DEFAULT_ALPN: readonly string[] = ['h2', 'http/1.1'];
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;

export type ClientValidationMode = 'AllowValidOnly' | 'AllowInsecureFallback';

export interface ListenerTLSOptions {
  /** ALPN protocols offered, overriding the IR's; default IR `alpn`, else ['h2', 'http/1.1']. [] disables ALPN. */
  alpn?: readonly string[];
  /** A handshake that takes longer fails (the raw socket is destroyed). Default 10 s. */
  handshakeTimeoutMs?: number;
}

export interface ListenerTLS {
  readonly mode: 'Terminate' | 'Passthrough';
  /** Same IR and options → same fingerprint: the compilation can be reused across versions. */
  readonly fingerprint: string;
  readonly alpn: readonly string[];
  readonly clientValidation: ClientValidationMode | null;
  /** Used when the client sends no SNI or a name no certificate covers. */
  readonly defaultContext: tls.SecureContext;
  /** The context for an SNI name (any case). */
  select(servername: string | undefined): tls.SecureContext;
  /** A node:tls `SNICallback` over `select`. */
  readonly SNICallback: (servername: string, cb: (err: Error | null, ctx?: tls.SecureContext) => void) => void;
  /** Options for `new tls.TLSSocket(socket, ...)` when the caller wraps sockets itself (no client validation). */
  readonly socketOptions: tls.TLSSocketOptions;
  /** @internal The unbound tls.Server that runs handshakes for terminateTLS. */
  readonly server: tls.Server;
  /** @internal Raw sockets handed to the server, by connection tuple, until their handshake ends. */
  readonly pending: Map<string, PendingHandshake>;
}

export interface ClientCertStatus {
  /** The client sent a certificate. */
  presented: boolean;
  /** It chains to the listener's CAs (and is in its validity period). */
  verified: boolean;
  /** OpenSSL's reason when not verified, e.g. 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'. */
  error?: string;
}

export interface SecureConnection {
  socket: tls.TLSSocket;
  /** SNI name sent by the client (lower-cased), undefined when none. */
  servername: string | undefined;
  /** Negotiated ALPN protocol, or false. */
  alpn: string | false;
  /** null when the listener does not validate client certificates. */
  clientCert: ClientCertStatus | null;
}

interface PendingHandshake {
  done: (err: Error | null, conn: SecureConnection | null) => void;
  error: Error | null;
}

export class TLSConfigError extends Error {
  readonly code = 'TLS_CONFIG';
}

function keyType(c: CertificateIR): string {
  try {
    return crypto.createPrivateKey(c.keyPem).asymmetricKeyType ?? 'unknown';
  } catch (err) {
    throw new TLSConfigError('invalid private key for ' + c.source + ': ' + (err as Error).message);
  }
}

/** Compiles a listener's TLS settings. Throws TLSConfigError when a certificate or key is unusable. */
export function compileListenerTLS(t: ListenerTLSIR, options: ListenerTLSOptions = {}): ListenerTLS {
  const alpn = [...(options.alpn ?? t.alpn ?? DEFAULT_ALPN)];
  const handshakeTimeout = options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;
  const fingerprint = JSON.stringify([t, alpn, handshakeTimeout]);
  const validation = t.clientValidation ?? null;
  const common: tls.SecureContextOptions = {
    minVersion: t.minVersion ?? 'TLSv1.2',
    maxVersion: t.maxVersion,
    ciphers: t.ciphers !== undefined && t.ciphers.length > 0 ? t.ciphers.join(':') : undefined,
    ca: validation !== null && validation.caPem.length > 0 ? validation.caPem : undefined,
  };
  const types = t.certificates.map(keyType);
  // One context per distinct set of certificates (at most one per key type), shared by names.
  const contexts = new Map<string, tls.SecureContext>();
  const groupContext = (indices: number[]): tls.SecureContext => {
    const key = indices.join(',');
    let ctx = contexts.get(key);
    if (ctx === undefined) {
      try {
        ctx = tls.createSecureContext({
          ...common,
          cert: indices.map((i) => t.certificates[i]!.certPem),
          key: indices.map((i) => t.certificates[i]!.keyPem),
        });
      } catch (err) {
        const sources = indices.map((i) => t.certificates[i]!.source).join(', ');
        throw new TLSConfigError('cannot use certificate ' + sources + ': ' + (err as Error).message);
      }
      contexts.set(key, ctx);
    }
    return ctx;
  };
  /** Certificates covering `name`, in order, the first of each key type. */
  const groupFor = (name: string): number[] => {
    const picked: number[] = [];
    const kinds = new Set<string>();
    t.certificates.forEach((c, i) => {
      if (!c.dnsNames.some((n) => n.toLowerCase() === name) || kinds.has(types[i]!)) return;
      kinds.add(types[i]!);
      picked.push(i);
    });
    return picked;
  };
  const entries: [string | null, tls.SecureContext][] = [];
  const seen = new Set<string>();
  for (const c of t.certificates) {
    for (const raw of c.dnsNames) {
      const name = raw.toLowerCase();
      // compileHostTable reads null/'*' as "any host"; a certificate has no such name.
      if (name === '*' || name === '' || seen.has(name)) continue;
      seen.add(name);
      entries.push([name, groupContext(groupFor(name))]);
    }
  }
  let defaultContext: tls.SecureContext;
  if (t.certificates.length === 0) {
    if (t.mode === 'Terminate') throw new TLSConfigError('a Terminate listener needs at least one certificate');
    // Passthrough listeners never handshake; the context only keeps the shape uniform.
    defaultContext = tls.createSecureContext(common);
  } else {
    const first = t.certificates[0]!.dnsNames[0]?.toLowerCase();
    const group = first !== undefined && first !== '*' ? groupFor(first) : [0];
    defaultContext = groupContext(group.includes(0) ? group : [0]);
  }
  const table: HostTable<tls.SecureContext> = compileHostTable(entries);
  const select = (servername: string | undefined): tls.SecureContext =>
    servername === undefined || servername === ''
      ? defaultContext
      : (lookupHost(table, servername.toLowerCase()) ?? defaultContext);
  const SNICallback = (servername: string, cb: (err: Error | null, ctx?: tls.SecureContext) => void): void =>
    cb(null, select(servername));
  const requestCert = validation !== null;
  const rejectUnauthorized = validation !== null && validation.mode === 'AllowValidOnly';
  const socketOptions: tls.TLSSocketOptions = {
    isServer: true,
    secureContext: defaultContext,
    SNICallback,
    ALPNProtocols: alpn.length > 0 ? alpn : undefined,
    requestCert,
    rejectUnauthorized,
  };
  const server = createHandshakeServer(t, common, alpn, SNICallback, requestCert, rejectUnauthorized, handshakeTimeout);
  const lt: ListenerTLS = {
    mode: t.mode,
    fingerprint,
    alpn,
    clientValidation: validation?.mode ?? null,
    defaultContext,
    select,
    SNICallback,
    socketOptions,
    server,
    pending: new Map(),
  };
  server.on('secureConnection', (socket: tls.TLSSocket) => onSecure(lt, socket));
  server.on('tlsClientError', (err: Error, socket: tls.TLSSocket) => onClientError(lt, err, socket));
  return lt;
}

/**
 * The handshakes run in an unbound tls.Server because node:tls applies client-certificate
 * verification (`authorized`, AllowValidOnly rejection) only for sockets a server owns. Its own
 * context is the default one (a client without SNI never reaches SNICallback).
 */
function createHandshakeServer(
  t: ListenerTLSIR,
  common: tls.SecureContextOptions,
  alpn: string[],
  SNICallback: ListenerTLS['SNICallback'],
  requestCert: boolean,
  rejectUnauthorized: boolean,
  handshakeTimeout: number,
): tls.Server {
  const first = t.certificates[0];
  const opts: tls.TlsOptions = {
    ...common,
    SNICallback,
    requestCert,
    rejectUnauthorized,
    handshakeTimeout,
    ALPNProtocols: alpn.length > 0 ? alpn : undefined,
    allowHalfOpen: true,
  };
  if (first !== undefined) {
    // The same grouping as the default context: the first certificate plus other key types for its name.
    const name = first.dnsNames[0]?.toLowerCase();
    const types = new Set<string>();
    const certs: string[] = [];
    const keys: string[] = [];
    t.certificates.forEach((c, i) => {
      const kind = keyType(c);
      const sameName = name !== undefined && c.dnsNames.some((n) => n.toLowerCase() === name);
      if ((i === 0 || sameName) && !types.has(kind)) {
        types.add(kind);
        certs.push(c.certPem);
        keys.push(c.keyPem);
      }
    });
    opts.cert = certs;
    opts.key = keys;
  }
  return tls.createServer(opts);
}

function tupleKey(s: net.Socket): string {
  return s.remoteAddress + '|' + s.remotePort + '|' + s.localAddress + '|' + s.localPort;
}

function onSecure(lt: ListenerTLS, socket: tls.TLSSocket): void {
  const key = tupleKey(socket);
  const p = lt.pending.get(key);
  if (p === undefined) {
    socket.destroy();
    return;
  }
  lt.pending.delete(key);
  let clientCert: ClientCertStatus | null = null;
  if (lt.clientValidation !== null) {
    const presented = socket.getPeerX509Certificate() !== undefined;
    clientCert = { presented, verified: presented && socket.authorized };
    if (!clientCert.verified) clientCert.error = presented ? String(socket.authorizationError) : 'NO_CERTIFICATE';
  }
  const servername = typeof socket.servername === 'string' ? socket.servername.toLowerCase() : undefined;
  p.done(null, { socket, servername, alpn: socket.alpnProtocol ?? false, clientCert });
}

function onClientError(lt: ListenerTLS, err: Error, socket: tls.TLSSocket): void {
  const p = lt.pending.get(tupleKey(socket));
  if (p !== undefined) p.error = err;
  socket.destroy();
}

/**
 * Runs the server side of a TLS handshake on an accepted socket. Bytes already read from it (for
 * instance a peeked ClientHello) must have been put back with `socket.unshift()` first. `done` is
 * called exactly once: with the secure connection, or with an error after the raw socket closed
 * (handshake failure, timeout, rejected client certificate).
 */
export function terminateTLS(
  raw: net.Socket,
  lt: ListenerTLS,
  done: (err: Error | null, conn: SecureConnection | null) => void,
): void {
  if (raw.destroyed || raw.remoteAddress === undefined) {
    raw.destroy();
    queueMicrotask(() => done(new Error('connection closed before the TLS handshake'), null));
    return;
  }
  const key = tupleKey(raw);
  const pending: PendingHandshake = { done, error: null };
  lt.pending.set(key, pending);
  raw.once('close', () => {
    if (lt.pending.get(key) !== pending) return;
    lt.pending.delete(key);
    const rejected = lt.clientValidation === 'AllowValidOnly' && pending.error === null;
    done(pending.error ?? new Error(rejected ? 'client certificate rejected' : 'TLS handshake did not complete'), null);
  });
  lt.server.emit('connection', raw);
}
