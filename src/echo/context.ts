// What an echo response reports besides the request itself: where the server runs (the
// conformance suite checks namespace and pod) and, on TLS connections, the TLS facts.

import type { Http2ServerRequest } from 'node:http2';
import type { TLSSocket } from 'node:tls';
import type { EchoRequest } from './http.ts';

/** Where the echo server runs, as the conformance suite reads it back (environment-driven in echo-basic). */
export interface EchoContext {
  namespace: string;
  ingress: string;
  service: string;
  pod: string;
  /** The port the server listens on, as a string (echo-basic reports its HTTP_PORT). */
  httpPort: string;
}

export interface TLSAssertions {
  version: string;
  peerCertificates?: string[];
  serverName: string;
  negotiatedProtocol?: string;
  cipherSuite: string;
}

/** The TLS socket a request arrived on, or undefined for plaintext. */
export function tlsSocketOf(req: EchoRequest): TLSSocket | undefined {
  const socket = req.httpVersionMajor === 2 ? (req as Http2ServerRequest).stream.session?.socket : req.socket;
  return socket && (socket as TLSSocket).encrypted ? (socket as TLSSocket) : undefined;
}

/** TLS facts in echo-basic's shape: version "TLSv1.3", IANA cipher suite name, client certificate as PEM. */
export function tlsAssertions(socket: TLSSocket): TLSAssertions {
  const cipher = socket.getCipher();
  const out: TLSAssertions = {
    version: socket.getProtocol() ?? '',
    serverName: typeof socket.servername === 'string' ? socket.servername : '',
    cipherSuite: cipher.standardName ?? cipher.name,
  };
  if (socket.alpnProtocol) out.negotiatedProtocol = socket.alpnProtocol;
  const pems = peerCertificatePems(socket);
  if (pems.length > 0) out.peerCertificates = pems;
  return out;
}

/**
 * The client certificate as PEM. Only the leaf: Node's chain view adds issuers from the local trust
 * store, which the client never sent, while echo-basic lists exactly what the client sent.
 */
function peerCertificatePems(socket: TLSSocket): string[] {
  const cert = socket.getPeerX509Certificate();
  return cert ? [cert.toString()] : [];
}
