// Admin HTTP server: health, readiness, config dump, status and metrics for operators.
// It reads from the control loop through AdminSource and never changes anything, so every
// endpoint is a GET. Bind it to loopback (the default): it exposes the full configuration,
// certificates included.

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export const DEFAULT_ADMIN_ADDRESS = '127.0.0.1';
export const DEFAULT_ADMIN_PORT = 19000;

/** What the admin server shows; implemented by the control loop. */
export interface AdminSource {
  /** True once a first configuration has been applied to the data plane. */
  ready(): boolean;
  /** The IR being served and its version. */
  configDump(): unknown;
  /** Every resource with its computed status, plus diagnostics and apply errors. */
  status(): unknown | Promise<unknown>;
}

export interface MetricsSource {
  render(): Promise<string>;
  readonly contentType: string;
}

export interface AdminServerOptions {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  source: AdminSource;
  metrics: MetricsSource;
}

export interface AdminServer {
  readonly host: string;
  readonly port: number;
  /** Base URL, e.g. http://127.0.0.1:19000 */
  readonly url: string;
  close(): Promise<void>;
}

const ENDPOINTS: Record<string, string> = {
  '/healthz': '200 while the process runs',
  '/readyz': '200 once the first configuration is applied, 503 before',
  '/config_dump': 'the IR being served and its version (JSON)',
  '/status': 'every resource with its computed status, load diagnostics and apply errors (JSON)',
  '/metrics': 'Prometheus metrics (text exposition format)',
};

export async function startAdminServer(options: AdminServerOptions): Promise<AdminServer> {
  const { source, metrics } = options;
  const server = createServer((req, res) => {
    handle(req, res, source, metrics).catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', `${(err as Error).message}\n`, req.method);
      else res.destroy();
    });
  });
  // Admin clients are curl and Prometheus; a short keep-alive keeps close() from waiting on them.
  server.keepAliveTimeout = 5_000;
  const host = options.host ?? DEFAULT_ADMIN_ADDRESS;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port: options.port ?? DEFAULT_ADMIN_PORT }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const urlHost = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    host: addr.address,
    port: addr.port,
    url: `http://${urlHost}:${addr.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  source: AdminSource,
  metrics: MetricsSource,
): Promise<void> {
  const method = req.method ?? 'GET';
  const path = (req.url ?? '/').split('?', 1)[0]!;
  if (method !== 'GET' && method !== 'HEAD') {
    res.setHeader('allow', 'GET, HEAD');
    send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n', method);
    return;
  }
  switch (path) {
    case '/healthz':
      send(res, 200, 'text/plain; charset=utf-8', 'ok\n', method);
      return;
    case '/readyz':
      if (source.ready()) send(res, 200, 'text/plain; charset=utf-8', 'ready\n', method);
      else send(res, 503, 'text/plain; charset=utf-8', 'no configuration applied yet\n', method);
      return;
    case '/config_dump':
      sendJson(res, source.configDump(), method);
      return;
    case '/status':
      sendJson(res, await source.status(), method);
      return;
    case '/metrics':
      send(res, 200, metrics.contentType, await metrics.render(), method);
      return;
    case '/':
      sendJson(res, { endpoints: ENDPOINTS }, method);
      return;
    default:
      send(
        res,
        404,
        'text/plain; charset=utf-8',
        `not found; endpoints: ${Object.keys(ENDPOINTS).join(' ')}\n`,
        method,
      );
  }
}

function sendJson(res: ServerResponse, body: unknown, method: string): void {
  send(res, 200, 'application/json; charset=utf-8', `${JSON.stringify(body, null, 2)}\n`, method);
}

function send(res: ServerResponse, code: number, type: string, body: string, method: string | undefined): void {
  const buf = Buffer.from(body, 'utf8');
  res.writeHead(code, { 'content-type': type, 'content-length': buf.length, 'cache-control': 'no-store' });
  res.end(method === 'HEAD' ? undefined : buf);
}
