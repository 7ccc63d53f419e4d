// TLS building blocks of the data plane.
//
//   parseClientHello(bytes) / new ClientHelloPeeker().push(chunk)
//       → { status: 'ok', hello: { sni?, alpn, length } } | { status: 'need-more' } | { status: 'error', code, message }
//     Reads SNI and ALPN from a connection's first bytes without consuming them (bounded, strict).
//
//   compileListenerTLS(listener.tls, { alpn?, handshakeTimeoutMs? }) → ListenerTLS
//     Once per config version and listener (reuse while `fingerprint` is unchanged). Throws
//     TLSConfigError for unusable certificates. Gives `select(sni)`, `SNICallback`, `socketOptions`
//     (for `new tls.TLSSocket(socket, lt.socketOptions)` when no client validation is configured).
//
//   terminateTLS(rawSocket, listenerTLS, (err, conn) => ...)
//     Server handshake on an accepted socket (unshift peeked bytes first). `conn` carries the
//     TLSSocket, servername, negotiated ALPN and the client-certificate result (mTLS modes
//     AllowValidOnly / AllowInsecureFallback are enforced here).
//
//   compileUpstreamTLS(cluster.tls) → UpstreamTLS;  connectUpstreamTLS(u, {host, port, unixPath?}, alpn?)
//     BackendTLSPolicy: CA (or system roots), SNI, subjectAltNames identity check, client certificate.
export {
  type ClientHelloErrorCode,
  type ClientHelloInfo,
  ClientHelloPeeker,
  type ClientHelloResult,
  MAX_HELLO_BYTES,
  MAX_HELLO_LENGTH,
  parseClientHello,
} from './clienthello.ts';
export {
  type ClientCertStatus,
  compileListenerTLS,
  DEFAULT_ALPN,
  type ListenerTLS,
  type ListenerTLSOptions,
  listenerTLSFingerprint,
  type SecureConnection,
  TLSConfigError,
  terminateTLS,
} from './context.ts';
export {
  compileUpstreamTLS,
  connectUpstreamTLS,
  identityCheck,
  type UpstreamTLS,
  type UpstreamTarget,
} from './upstream.ts';
