// Layer-4 test helpers: named echo upstreams (plain or TLS), a line-oriented client, IR builders.
import dgram from 'node:dgram';
import net from 'node:net';
import tls from 'node:tls';
import type { AccessRecord, DataPlaneObserver } from '../../../src/dataplane/observer.ts';
import type { ClusterIR, L4RouteIR, ListenerIR } from '../../../src/ir/types.ts';

export interface Upstream {
  readonly name: string;
  readonly port: number;
  /** Connections accepted so far. */
  accepted: number;
  /** Bytes received after this server ended its own side (half-close proof). */
  afterEnd: string[];
  close(): Promise<void>;
}

/**
 * Per connection: greets with "hello <name> <sni or -> <client cert CN or ->\n", echoes data, on
 * "SHUT\n" ends its own side (and keeps reading), on the client's FIN answers "bye <name> <bytes>\n"
 * and ends.
 */
export async function echoUpstream(
  name: string,
  tlsOpts?: { certPem: string; keyPem: string; caPem?: string },
): Promise<Upstream> {
  const sockets = new Set<net.Socket>();
  const up: Upstream = {
    name,
    port: 0,
    accepted: 0,
    afterEnd: [],
    close: async () => {},
  };
  const onConn = (s: net.Socket) => {
    up.accepted++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    let bytes = 0;
    let shut = false;
    const t = s as tls.TLSSocket;
    const cn = tlsOpts?.caPem !== undefined ? (t.getPeerCertificate()?.subject?.CN ?? '-') : '-';
    const sni = typeof t.servername === 'string' ? t.servername : '-';
    s.write('hello ' + name + ' ' + sni + ' ' + cn + '\n');
    s.on('data', (d: Buffer) => {
      bytes += d.length;
      if (shut) {
        up.afterEnd.push(d.toString());
        return;
      }
      s.write(d);
      if (d.includes('SHUT\n')) {
        shut = true;
        s.end();
      }
    });
    s.on('end', () => {
      if (!shut) s.end('bye ' + name + ' ' + bytes + '\n');
    });
  };
  const server =
    tlsOpts === undefined
      ? net.createServer({ allowHalfOpen: true }, onConn)
      : tls.createServer(
          {
            cert: tlsOpts.certPem,
            key: tlsOpts.keyPem,
            allowHalfOpen: true,
            ca: tlsOpts.caPem,
            requestCert: tlsOpts.caPem !== undefined,
            rejectUnauthorized: tlsOpts.caPem !== undefined,
          },
          onConn,
        );
  if (tlsOpts !== undefined) server.on('tlsClientError', () => {});
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return Object.assign(up, {
    port: (server.address() as net.AddressInfo).port,
    close() {
      for (const s of sockets) s.destroy();
      return new Promise<void>((r) => server.close(() => r()));
    },
  });
}

/** A client socket that collects text and exposes promises for lines, end and close. */
export class LineClient {
  readonly socket: net.Socket;
  text = '';
  ended = false;
  closed: Promise<boolean>;
  /** Resolves when the peer ended its side (FIN) or the socket closed, whichever comes first. */
  done: Promise<void>;
  error: Error | null = null;
  #waiters: (() => void)[] = [];

  constructor(socket: net.Socket) {
    this.socket = socket;
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      this.text += d;
      this.#wake();
    });
    socket.on('end', () => {
      this.ended = true;
      this.#wake();
    });
    socket.on('error', (e) => {
      this.error = e;
    });
    this.done = new Promise((r) => {
      socket.once('end', () => r());
      socket.once('close', () => r());
    });
    this.closed = new Promise((r) =>
      socket.on('close', () => {
        this.#wake();
        r(true);
      }),
    );
  }

  static tcp(port: number): LineClient {
    return new LineClient(net.connect({ port, host: '127.0.0.1', allowHalfOpen: true }));
  }

  static tls(port: number, opts: tls.ConnectionOptions): LineClient {
    const s = tls.connect({ port, host: '127.0.0.1', ...opts });
    s.allowHalfOpen = true;
    return new LineClient(s);
  }

  #wake(): void {
    const w = this.#waiters;
    this.#waiters = [];
    for (const f of w) f();
  }

  /** Resolves when the collected text matches, rejects after ms. */
  async waitFor(re: RegExp, ms = 3000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + ms;
    while (true) {
      const m = this.text.match(re);
      if (m !== null) return m;
      if (this.ended || this.socket.destroyed) {
        throw new Error('ended before ' + re + '; got ' + JSON.stringify(this.text));
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('timeout waiting for ' + re + '; got ' + JSON.stringify(this.text));
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.#waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  /** The backend name from the greeting line. */
  async backend(): Promise<string> {
    return (await this.waitFor(/hello (\S+)/))[1]!;
  }
}

export function cluster(name: string, ports: number[], extra: Partial<ClusterIR> = {}): ClusterIR {
  return {
    name,
    protocol: 'tcp',
    endpoints: ports.map((port) => ({ address: '127.0.0.1', port, ready: true })),
    discovery: 'static',
    loadBalancer: 'LeastRequest',
    ...extra,
  };
}

export function clusters(...list: ClusterIR[]): Map<string, ClusterIR> {
  return new Map(list.map((c) => [c.name, c]));
}

export function l4route(name: string, backends: [string | null, number][], hostnames: string[] = []): L4RouteIR {
  return { route: name, hostnames, backends: backends.map(([c, w]) => ({ cluster: c, weight: w })) };
}

export function tcpListener(port: number, route: L4RouteIR | undefined, name = 'default/gw/tcp'): ListenerIR {
  return { name, sectionName: 'tcp', port, protocol: 'TCP', hostname: null, tcpRoute: route };
}

export class RecordingObserver implements DataPlaneObserver {
  records: AccessRecord[] = [];
  opened: string[] = [];
  closed: string[] = [];
  onRequestEnd(r: AccessRecord): void {
    // The data plane reuses the record object after the call.
    this.records.push({ ...r });
  }
  onConnectionOpen(l: string): void {
    this.opened.push(l);
  }
  onConnectionClose(l: string): void {
    this.closed.push(l);
  }
}

export async function waitUntil(cond: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met within ' + ms + ' ms');
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A UDP upstream on loopback that answers every datagram with "echo:" (or `prefix`) + the datagram. */
export async function udpEcho(prefix = 'echo:'): Promise<{ port: number; socket: dgram.Socket }> {
  const socket = dgram.createSocket('udp4');
  socket.on('message', (m, r) => socket.send(Buffer.concat([Buffer.from(prefix), m]), r.port, r.address));
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
  return { port: socket.address().port, socket };
}

/** Sends one datagram to 127.0.0.1:port and resolves with the first reply (rejects after timeoutMs). */
export function udpRoundTrip(port: number, text: string, timeoutMs = 2000): Promise<string> {
  const c = dgram.createSocket('udp4');
  return new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => {
      c.close();
      reject(new Error('no UDP reply'));
    }, timeoutMs);
    c.on('message', (m) => {
      clearTimeout(t);
      c.close();
      resolve(m.toString());
    });
    c.send(text, port, '127.0.0.1');
  });
}

/**
 * One datagram from a connected socket to host:port (as Go's net.Dial("udp") or a DNS resolver
 * sends): the kernel drops replies from any other source address, so this also checks that the
 * reply leaves from the address the datagram was sent to.
 */
export function udpConnectedRoundTrip(host: string, port: number, text: string, timeoutMs = 2000): Promise<string> {
  const c = dgram.createSocket('udp4');
  return new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => {
      c.close();
      reject(new Error('no UDP reply from ' + host + ':' + port));
    }, timeoutMs);
    c.on('message', (m) => {
      clearTimeout(t);
      c.close();
      resolve(m.toString());
    });
    c.connect(port, host, () => c.send(text));
  });
}
