// Test helpers: hand-built IR (irbuild.ts), small real upstreams, a raw HTTP/1.1 client.
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import type { AccessRecord, DataPlaneObserver } from '../../src/dataplane/observer.ts';

export { cluster, forward, freePort, ir, listener, match, route, simpleIR } from './irbuild.ts';

export interface EchoServer {
  port: number;
  server: http.Server;
  requests: number;
  close(): Promise<void>;
}

/** An upstream that answers JSON describing the request (like the conformance echo backend). */
export async function echoServer(
  name: string,
  handler?: (req: http.IncomingMessage, res: http.ServerResponse, body: Buffer) => boolean | undefined,
): Promise<EchoServer> {
  const state = { requests: 0 } as EchoServer;
  const server = http.createServer((req, res) => {
    state.requests++;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (handler?.(req, res, body) === true) return;
      const out = JSON.stringify({
        backend: name,
        method: req.method,
        path: req.url,
        host: req.headers.host,
        headers: req.headers,
        rawHeaders: req.rawHeaders,
        bodyLength: body.length,
        httpVersion: req.httpVersion,
      });
      res.setHeader('content-type', 'application/json');
      res.setHeader('x-backend', name);
      res.end(out);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  state.port = (server.address() as AddressInfo).port;
  state.server = server;
  state.close = () =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
  return state;
}

// biome-ignore lint/suspicious/noExplicitAny: test responses are free-form JSON
type Json = any;

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export function request(
  port: number,
  path: string,
  opts: {
    method?: string;
    headers?: Record<string, string>;
    body?: string | Buffer;
    agent?: http.Agent | false;
    /** Address to connect to; default 127.0.0.1. */
    host?: string;
  } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: opts.host ?? '127.0.0.1',
        port,
        path,
        method: opts.method ?? 'GET',
        headers: opts.headers,
        agent: opts.agent ?? false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString() }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

export async function json(
  port: number,
  path: string,
  opts: Parameters<typeof request>[2] = {},
): Promise<Reply & { json: Json }> {
  const r = await request(port, path, opts);
  // biome-ignore lint/suspicious/noExplicitAny: test responses are free-form JSON
  let parsed: any = null;
  try {
    parsed = JSON.parse(r.body);
  } catch {}
  return { ...r, json: parsed };
}

/** Sends raw bytes and collects everything until the server closes (or `ms` passes). */
export function raw(port: number, data: string | Buffer, ms = 1000): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => s.destroy(), ms);
    s.on('data', (c) => chunks.push(c));
    s.on('error', () => {});
    s.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('latin1'));
    });
    s.write(data);
  });
}

export class RecordingObserver implements DataPlaneObserver {
  records: AccessRecord[] = [];
  opened = 0;
  closed = 0;
  onRequestEnd(r: AccessRecord): void {
    // The data plane reuses the record object after the call.
    this.records.push({ ...r });
  }
  onConnectionOpen(): void {
    this.opened++;
  }
  onConnectionClose(): void {
    this.closed++;
  }
}
