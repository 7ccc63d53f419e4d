// Downstream TLS termination for one listener: secure contexts compiled once per config version,
// chosen per handshake by SNI, and a way to turn an accepted raw socket into a server TLSSocket.
//
// Certificate choice: exact DNS name, then the longest matching wildcard, then the default (the
// first certificate). The default also carries, for the first certificate's name, one certificate
// of each other key type (an RSA and an ECDSA certificate for "example.com"), so OpenSSL serves each
// client the kind it supports. Other names get the first certificate that covers them: OpenSSL
// cannot choose among several keys after an SNI switch.
//
// Rotation: a new config version compiles a new ListenerTLS; connections already accepted keep the
// context they were handshaken with. `fingerprint` lets a caller reuse an unchanged compilation.
//
// Client certificates (mTLS): verification runs inside node:tls. With AllowValidOnly a connection
// without a valid certificate is closed before `terminateTLS` reports it; with AllowInsecureFallback
// it is reported with the verification result in `clientCert`.
import crypto from 'node:crypto';
import type net from 'node:net';
import type tls from 'node:tls';
import { lazyTls } from '../builtins.ts';
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
  /** Session ticket keys (48 bytes), shared by the processes serving the port; default random. */
  ticketKeys?: Buffer;
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

/** The key's type ('rsa', 'ec', ...), after checking the key and the leaf certificate belong together. */
function keyType(c: CertificateIR): string {
  let key: crypto.KeyObject;
  let cert: crypto.X509Certificate;
  try {
    key = crypto.createPrivateKey(c.keyPem);
    cert = new crypto.X509Certificate(c.certPem);
  } catch (err) {
    throw new TLSConfigError('invalid certificate or key in ' + c.source + ': ' + (err as Error).message);
  }
  // With several key types in one context OpenSSL does not pair keys and certificates itself.
  if (!cert.checkPrivateKey(key))
    throw new TLSConfigError('the key in ' + c.source + ' does not match its certificate');
  return key.asymmetricKeyType ?? 'unknown';
}

/** What compileListenerTLS would put in `fingerprint`, without compiling anything. */
export function listenerTLSFingerprint(t: ListenerTLSIR, options: ListenerTLSOptions = {}): string {
  const alpn = options.alpn ?? t.alpn ?? DEFAULT_ALPN;
  return JSON.stringify([t, alpn, options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS]);
}

/** Compiles a listener's TLS settings. Throws TLSConfigError when a certificate or key is unusable. */
export function compileListenerTLS(t: ListenerTLSIR, options: ListenerTLSOptions = {}): ListenerTLS {
  const alpn = [...(options.alpn ?? t.alpn ?? DEFAULT_ALPN)];
  const handshakeTimeout = options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;
  const fingerprint = listenerTLSFingerprint(t, options);
  const validation = t.clientValidation ?? null;
  const common: tls.SecureContextOptions = {
    minVersion: t.minVersion ?? 'TLSv1.2',
    maxVersion: t.maxVersion,
    ciphers: t.ciphers !== undefined && t.ciphers.length > 0 ? t.ciphers.join(':') : undefined,
    ca: validation !== null && validation.caPem.length > 0 ? validation.caPem : undefined,
    ticketKeys: options.ticketKeys,
  };
  const types = t.certificates.map(keyType);
  if (t.certificates.length === 0 && t.mode === 'Terminate') {
    throw new TLSConfigError('a Terminate listener needs at least one certificate');
  }
  // The default group: the first certificate plus, for its first name, one certificate of each
  // other key type. OpenSSL picks among several keys only in the context a handshake starts with;
  // after an SNI switch it uses one key. So the default group lives in the initial context, and the
  // SNI callback keeps that context (answers no context) for names the default group serves.
  const defaultGroup = defaultCertificates(t, types);
  const contextFor = (indices: number[]): tls.SecureContext => {
    try {
      return lazyTls().createSecureContext({
        ...common,
        cert: indices.map((i) => t.certificates[i]!.certPem),
        key: indices.map((i) => t.certificates[i]!.keyPem),
      });
    } catch (err) {
      const sources = indices.map((i) => t.certificates[i]!.source).join(', ');
      throw new TLSConfigError('cannot use certificate ' + sources + ': ' + (err as Error).message);
    }
  };
  const defaultContext = contextFor(defaultGroup);
  const single = new Map<number, tls.SecureContext>();
  // Per name: the first certificate that covers it (the default context for the default group's names).
  const entries: [string | null, tls.SecureContext][] = [];
  const seen = new Set<string>();
  t.certificates.forEach((c, i) => {
    for (const raw of c.dnsNames) {
      const name = raw.toLowerCase();
      // compileHostTable reads null/'*' as "any host"; a certificate has no such name.
      if (name === '*' || name === '' || seen.has(name)) continue;
      seen.add(name);
      let ctx = defaultGroup.includes(i) ? defaultContext : single.get(i);
      if (ctx === undefined) {
        ctx = contextFor([i]);
        single.set(i, ctx);
      }
      entries.push([name, ctx]);
    }
  });
  const table: HostTable<tls.SecureContext> = compileHostTable(entries);
  const select = (servername: string | undefined): tls.SecureContext =>
    servername === undefined || servername === ''
      ? defaultContext
      : (lookupHost(table, servername.toLowerCase()) ?? defaultContext);
  const SNICallback = (servername: string, cb: (err: Error | null, ctx?: tls.SecureContext) => void): void => {
    const ctx = select(servername);
    // No context = keep the initial (default) one, the only place several key types work.
    cb(null, ctx === defaultContext ? undefined : ctx);
  };
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
  const server = createHandshakeServer(
    t,
    defaultGroup,
    common,
    alpn,
    SNICallback,
    requestCert,
    rejectUnauthorized,
    handshakeTimeout,
  );
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
  defaultGroup: number[],
  common: tls.SecureContextOptions,
  alpn: string[],
  SNICallback: ListenerTLS['SNICallback'],
  requestCert: boolean,
  rejectUnauthorized: boolean,
  handshakeTimeout: number,
): tls.Server {
  const opts: tls.TlsOptions = {
    ...common,
    SNICallback,
    requestCert,
    rejectUnauthorized,
    handshakeTimeout,
    ALPNProtocols: alpn.length > 0 ? alpn : undefined,
    allowHalfOpen: true,
  };
  if (defaultGroup.length > 0) {
    opts.cert = defaultGroup.map((i) => t.certificates[i]!.certPem);
    opts.key = defaultGroup.map((i) => t.certificates[i]!.keyPem);
  }
  return lazyTls().createServer(opts);
}

/** Index 0, plus the first certificate of each other key type that also names cert 0's first name. */
function defaultCertificates(t: ListenerTLSIR, types: string[]): number[] {
  if (t.certificates.length === 0) return [];
  const group = [0];
  const kinds = new Set([types[0]!]);
  const name = t.certificates[0]!.dnsNames[0]?.toLowerCase();
  if (name === undefined) return group;
  t.certificates.forEach((c, i) => {
    if (kinds.has(types[i]!) || !c.dnsNames.some((n) => n.toLowerCase() === name)) return;
    kinds.add(types[i]!);
    group.push(i);
  });
  return group;
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
