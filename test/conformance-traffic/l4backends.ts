// Layer-4 backends of the upstream conformance suite (tag v1.6.1), written for node:test:
// - the TCP echo server of conformance/echo-basic/tcpserver: a welcome line on connect, then line
//   commands PING (PONG), IS_TLS (true|false) and TEST (one JSON line with the pod context and, on
//   its TLS port, what the handshake negotiated);
// - the UDP echo server of conformance/echo-basic/udpechoserver: every datagram is answered with
//   {"request": <datagram>, namespace, ingress, service, pod};
// - a DNS responder standing in for the CoreDNS deployment of the base manifests (its Corefile
//   serves foo.bar.com with the `whoami` plugin: an A record with the client's address).

import dgram from 'node:dgram';
import net from 'node:net';
import tls from 'node:tls';

export const TCP_WELCOME = 'Gateway API Test TCP Server\n';

export interface PodContext {
  namespace: string;
  service: string;
  pod: string;
}

export interface TCPEchoServer {
  plainPort: number;
  /** null when the server has no certificate (upstream: TLS_SERVER_CERT unset). */
  tlsPort: number | null;
  close(): Promise<void>;
}

/** Go's tls.VersionName for the versions Node reports. */
function goVersionName(v: string | null): string {
  return v === 'TLSv1.3' ? 'TLS 1.3' : v === 'TLSv1.2' ? 'TLS 1.2' : (v ?? '');
}

function serveLines(
  socket: net.Socket,
  ctx: PodContext,
  ports: { tcp: number; tls: number | null },
  secure: tls.TLSSocket | null,
): void {
  const assertions: Record<string, unknown> = {
    namespace: ctx.namespace,
    ingress: '',
    service: ctx.service,
    pod: ctx.pod,
    tcpport: String(ports.tcp),
    ...(ports.tls !== null ? { tlsport: String(ports.tls) } : {}),
    isTLS: secure !== null,
  };
  if (secure !== null) {
    const alpn = secure.alpnProtocol;
    assertions.tls = {
      version: goVersionName(secure.getProtocol()),
      serverName: typeof secure.servername === 'string' ? secure.servername : '',
      ...(alpn ? { negotiatedProtocol: alpn } : {}),
      cipherSuite: secure.getCipher()?.standardName ?? '',
    };
  }
  socket.write(TCP_WELCOME);
  let buf = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    buf += chunk;
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      const line = buf.slice(0, i).replace(/\r$/, '');
      buf = buf.slice(i + 1);
      if (line === 'TEST') socket.write(`${JSON.stringify(assertions)}\n`);
      else if (line === 'IS_TLS') socket.write(`${secure !== null}\n`);
      else if (line === 'PING') socket.write('PONG\n');
    }
  });
  socket.on('end', () => socket.end());
  socket.on('error', () => socket.destroy());
}

async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as net.AddressInfo).port;
}

export async function startTCPEchoServer(
  ctx: PodContext,
  cert?: { certPem: string; keyPem: string },
): Promise<TCPEchoServer> {
  const sockets = new Set<net.Socket>();
  const track = (s: net.Socket): void => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  };
  const ports = { tcp: 0, tls: null as number | null };
  const plain = net.createServer((s) => {
    track(s);
    serveLines(s, ctx, ports, null);
  });
  ports.tcp = await listen(plain);
  let secure: tls.Server | null = null;
  if (cert) {
    secure = tls.createServer({ cert: cert.certPem, key: cert.keyPem, minVersion: 'TLSv1.2' }, (s) => {
      serveLines(s, ctx, ports, s);
    });
    secure.on('connection', track);
    secure.on('tlsClientError', () => {});
    ports.tls = await listen(secure);
  }
  return {
    plainPort: ports.tcp,
    tlsPort: ports.tls,
    async close() {
      for (const s of sockets) s.destroy();
      await Promise.all(
        [plain, secure].map((s) => (s ? new Promise<void>((r) => s.close(() => r())) : Promise.resolve())),
      );
    },
  };
}

export interface UDPServer {
  port: number;
  close(): Promise<void>;
}

async function bindUDP(onMessage: (socket: dgram.Socket, msg: Buffer, rinfo: dgram.RemoteInfo) => void) {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  socket.on('message', (msg, rinfo) => onMessage(socket, msg, rinfo));
  socket.on('error', () => {});
  return {
    port: socket.address().port,
    close: () => new Promise<void>((r) => socket.close(() => r())),
  };
}

export function startUDPEchoServer(ctx: PodContext): Promise<UDPServer> {
  return bindUDP((socket, msg, rinfo) => {
    const reply = JSON.stringify({
      request: msg.toString('utf8'),
      namespace: ctx.namespace,
      ingress: '',
      service: ctx.service,
      pod: ctx.pod,
    });
    socket.send(reply, rinfo.port, rinfo.address);
  });
}

/** Reads a DNS name at `off`; no compression pointers (questions never use them). */
function readName(msg: Buffer, off: number): { name: string; end: number } | null {
  const labels: string[] = [];
  for (let i = off; i < msg.length; ) {
    const n = msg[i]!;
    if (n === 0) return { name: labels.join('.').toLowerCase(), end: i + 1 };
    if (n > 63 || i + 1 + n > msg.length) return null;
    labels.push(msg.toString('latin1', i + 1, i + 1 + n));
    i += 1 + n;
  }
  return null;
}

/**
 * CoreDNS with the base manifests' Corefile, for what the conformance query needs: `foo.bar.com`
 * (zone served by `whoami`) answers an A query with the client's address; other names are REFUSED
 * (the real `.` zone forwards to public resolvers, which this machine cannot reach).
 */
export function startDNSServer(): Promise<UDPServer> {
  return bindUDP((socket, msg, rinfo) => {
    if (msg.length < 12 || msg.readUInt16BE(4) !== 1) return;
    const q = readName(msg, 12);
    if (q === null || q.end + 4 > msg.length) return;
    const qtype = msg.readUInt16BE(q.end);
    const question = msg.subarray(12, q.end + 4);
    const inZone = q.name === 'foo.bar.com' || q.name.endsWith('.foo.bar.com');
    const answer = inZone && qtype === 1 && net.isIPv4(rinfo.address);
    const header = Buffer.alloc(12);
    header.writeUInt16BE(msg.readUInt16BE(0), 0);
    // QR, opcode copied, AA, RD copied; RCODE 0 (NOERROR) or 5 (REFUSED).
    header.writeUInt16BE(0x8400 | (msg.readUInt16BE(2) & 0x7900) | (inZone ? 0 : 5), 2);
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(answer ? 1 : 0, 6);
    const parts = [header, question];
    if (answer) {
      const rr = Buffer.alloc(16);
      rr.writeUInt16BE(0xc00c, 0); // name: pointer to the question
      rr.writeUInt16BE(1, 2); // A
      rr.writeUInt16BE(1, 4); // IN
      rr.writeUInt32BE(0, 6); // TTL
      rr.writeUInt16BE(4, 10);
      for (const [i, o] of rinfo.address.split('.').entries()) rr.writeUInt8(Number(o), 12 + i);
      parts.push(rr);
    }
    socket.send(Buffer.concat(parts), rinfo.port, rinfo.address);
  });
}
