// The echo backend: one port serving HTTP/1.1, HTTP/2 (h2c by prior knowledge or by Upgrade, and
// h2 over TLS when certificates are given), WebSocket and gRPC, answering every request with JSON
// that describes it. The JSON and the special paths match the Gateway API conformance echo server,
// so tests written against either read the other's answers. Used by Portunus's own tests, the
// ported conformance scenarios and the quickstart (`portunus echo`).
//
// Each accepted connection is classified by its first bytes: the TLS handshake record type (0x16),
// the HTTP/2 connection preface, or else HTTP/1.1; it is then handed to the matching server.

import { createServer as createHttpServer, type IncomingMessage } from 'node:http';
import { createServer as createH2Server } from 'node:http2';
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import type { EchoContext } from './context.ts';
import { canUpgradeToH2c, H2_PREFACE, upgradeToH2c } from './h2c.ts';
import { createEchoState, handleRequest } from './http.ts';
import { acceptWebSocket } from './websocket.ts';

export type { EchoContext, TLSAssertions } from './context.ts';
export type { EchoResponseBody } from './http.ts';
export { GRPC_ECHO_SERVICE } from './grpc.ts';

export interface EchoServerOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Reported in every answer; default $NAMESPACE. */
  namespace?: string;
  /** Reported in every answer; default $POD_NAME. */
  pod?: string;
  /** Reported in every answer; default $SERVICE_NAME. */
  service?: string;
  /** Reported in every answer; default $INGRESS_NAME. */
  ingress?: string;
  /**
   * Also accept TLS on the same port (ALPN h2 and http/1.1). With clientCaPem, a client certificate
   * is requested and, when one is sent, must verify against it (unauthenticated clients still pass).
   */
  tls?: { certPem: string; keyPem: string; clientCaPem?: string };
}

export interface EchoServer {
  readonly host: string;
  readonly port: number;
  readonly context: EchoContext;
  close(): Promise<void>;
}

export async function startEchoServer(opts: EchoServerOptions = {}): Promise<EchoServer> {
  const env = process.env;
  const context: EchoContext = {
    namespace: opts.namespace ?? env.NAMESPACE ?? '',
    ingress: opts.ingress ?? env.INGRESS_NAME ?? '',
    service: opts.service ?? env.SERVICE_NAME ?? '',
    pod: opts.pod ?? env.POD_NAME ?? '',
    httpPort: '',
  };
  const state = createEchoState(context);
  const handler = handleRequest.bind(undefined, state);

  const h2 = createH2Server({}, handler);
  // Sessions end with their sockets; a broken peer must not take the process down.
  h2.on('sessionError', () => {});
  const h1 = createHttpServer(
    { shouldUpgradeCallback: (req: IncomingMessage) => wantsWebSocket(req) || wantsH2c(req) },
    handler,
  );
  h1.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (wantsH2c(req)) upgradeToH2c(req, socket, head, h2);
    else acceptWebSocket(req, socket, head);
  });
  h1.on('clientError', (_err, socket: Duplex) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });

  const tls = opts.tls ? createTlsServer(tlsOptions(opts.tls)) : undefined;
  tls?.on('secureConnection', (socket: TLSSocket) => {
    // VerifyClientCertIfGiven: no certificate is fine, a certificate that does not verify is not.
    if (opts.tls?.clientCaPem && socket.getPeerX509Certificate() && !socket.authorized) {
      socket.destroy();
      return;
    }
    if (socket.alpnProtocol === 'h2') h2.emit('connection', socket);
    else h1.emit('connection', socket);
  });
  tls?.on('tlsClientError', () => {});

  const sockets = new Set<Socket>();
  const server = createNetServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    sniff(socket, (kind) => {
      if (kind === 'tls' && tls) tls.emit('connection', socket);
      else if (kind === 'h2') h2.emit('connection', socket);
      else {
        h1.emit('connection', socket);
        socket.resume();
      }
    });
  });

  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  context.httpPort = String(port);

  return {
    host,
    port,
    context,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}

function wantsWebSocket(req: IncomingMessage): boolean {
  return req.headers.upgrade?.toLowerCase() === 'websocket';
}

function wantsH2c(req: IncomingMessage): boolean {
  return req.headers.upgrade?.toLowerCase() === 'h2c' && canUpgradeToH2c(req);
}

function tlsOptions(t: NonNullable<EchoServerOptions['tls']>) {
  return {
    cert: t.certPem,
    key: t.keyPem,
    ALPNProtocols: ['h2', 'http/1.1'],
    ...(t.clientCaPem ? { ca: t.clientCaPem, requestCert: true, rejectUnauthorized: false } : {}),
  };
}

type ConnectionKind = 'tls' | 'h2' | 'h1';

/**
 * Reads just enough of a new connection to classify it, then puts the bytes back (unshift) so the
 * chosen server sees the stream from its start.
 */
function sniff(socket: Socket, dispatch: (kind: ConnectionKind) => void): void {
  let seen: Buffer = Buffer.alloc(0);
  const onData = (chunk: Buffer): void => {
    seen = seen.length === 0 ? chunk : Buffer.concat([seen, chunk]);
    let kind: ConnectionKind | undefined;
    if (seen[0] === 0x16) kind = 'tls';
    else {
      const n = Math.min(seen.length, H2_PREFACE.length);
      if (!seen.subarray(0, n).equals(H2_PREFACE.subarray(0, n))) kind = 'h1';
      else if (n === H2_PREFACE.length) kind = 'h2';
    }
    if (kind === undefined) return;
    socket.off('data', onData);
    socket.pause();
    socket.unshift(seen);
    dispatch(kind);
  };
  socket.on('data', onData);
}
