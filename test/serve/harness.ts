// biome-ignore-all lint/suspicious/noExplicitAny: JSON from the admin API is probed field by field
// Helpers for the `portunus serve` end-to-end tests: a real process, real sockets, temp manifests.

import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmod, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, request, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { after } from 'node:test';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BIN = join(ROOT, 'bin/portunus.js');
/** PATH with the project's Node 24 first, for child processes. */
export const CHILD_PATH = `${join(ROOT, 'node_modules/.bin')}:${process.env.PATH ?? ''}`;

// Whatever a test leaves running (a failed assertion before its cleanup, a timeout) is stopped
// when the file's tests end, so a failing test fails instead of hanging the run.
const live = new Set<{ kill(): void }>();
after(() => {
  for (const l of live) l.kill();
});

export async function freePort(): Promise<number> {
  const srv = createNetServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

export async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'portunus-serve-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/**
 * Writes via a temp file + rename, as editors and config management do, so a reader never sees
 * half a file. The temp name is fixed per file (as most editors' is), which makes a watcher that
 * tracks inodes instead of names miss the second save.
 */
export async function writeAtomic(file: string, text: string): Promise<void> {
  const tmp = join(dirname(file), `.${basename(file)}.save`);
  await writeFile(tmp, text);
  await chmod(tmp, 0o644);
  await rename(tmp, file);
}

export interface Backend {
  port: number;
  /** Requests seen, by path. */
  readonly hits: Map<string, number>;
  close(): Promise<void>;
}

/**
 * A small HTTP backend: answers JSON {backend, path, host, headers}; `/slow?ms=N` answers after N ms.
 * The tests need precise control over latency, which the echo backend does not offer.
 */
export async function startBackend(name: string): Promise<Backend> {
  const hits = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    hits.set(url.pathname, (hits.get(url.pathname) ?? 0) + 1);
    const body = JSON.stringify({ backend: name, path: req.url, host: req.headers.host, headers: req.headers });
    const send = () => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    };
    if (url.pathname === '/slow') setTimeout(send, Number(url.searchParams.get('ms') ?? '500'));
    else send();
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const entry = {
    kill() {
      server.close();
      server.closeAllConnections();
    },
  };
  live.add(entry);
  return {
    port: (server.address() as { port: number }).port,
    hits,
    close: () =>
      new Promise<void>((r) => {
        live.delete(entry);
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

export interface ListenerSpec {
  name: string;
  port: number;
  hostname?: string;
}

export interface RouteSpec {
  name: string;
  hostnames: string[];
  /** path prefix → backend port */
  rules: { prefix: string; backendPort: number; service?: string; setHeader?: { name: string; value: string } }[];
  /** sectionName to attach to, default all. */
  sectionName?: string;
}

export function gatewayYaml(listeners: ListenerSpec[], gatewayName = 'eg'): string {
  return `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata:
  name: portunus
spec:
  controllerName: portunus.dev/gateway-controller
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: ${gatewayName}
  namespace: default
spec:
  gatewayClassName: portunus
  listeners:
${listeners
  .map(
    (l) => `    - name: ${l.name}
      protocol: HTTP
      port: ${l.port}${l.hostname ? `\n      hostname: ${l.hostname}` : ''}
      allowedRoutes:
        namespaces:
          from: Same`,
  )
  .join('\n')}
`;
}

/** A Service named `name` with one port and an EndpointSlice at 127.0.0.1:port. */
/** A Service and its EndpointSlice with one ready endpoint on 127.0.0.1. */
export function serviceYaml(name: string, port: number, protocol: 'TCP' | 'UDP' = 'TCP'): string {
  return `apiVersion: v1
kind: Service
metadata:
  name: ${name}
  namespace: default
spec:
  ports:
    - name: http
      port: ${port}
      protocol: ${protocol}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: ${name}-1
  namespace: default
  labels:
    kubernetes.io/service-name: ${name}
addressType: IPv4
ports:
  - name: http
    port: ${port}
    protocol: ${protocol}
endpoints:
  - addresses: ["127.0.0.1"]
    conditions:
      ready: true
`;
}

/** PEM text indented to sit under a YAML block scalar key two levels deep. */
export function indentPem(pem: string): string {
  return pem
    .trim()
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n');
}

/** A kubernetes.io/tls Secret in namespace default. */
export function tlsSecretYaml(name: string, certPem: string, keyPem: string): string {
  return `apiVersion: v1
kind: Secret
metadata:
  name: ${name}
  namespace: default
type: kubernetes.io/tls
stringData:
  tls.crt: |
${indentPem(certPem)}
  tls.key: |
${indentPem(keyPem)}
`;
}

export function routeYaml(r: RouteSpec, gatewayName = 'eg'): string {
  return `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: ${r.name}
  namespace: default
spec:
  parentRefs:
    - name: ${gatewayName}${r.sectionName ? `\n      sectionName: ${r.sectionName}` : ''}
  hostnames: [${r.hostnames.map((h) => JSON.stringify(h)).join(', ')}]
  rules:
${r.rules
  .map(
    (rule) => `    - matches:
        - path:
            type: PathPrefix
            value: ${rule.prefix}${
              rule.setHeader
                ? `
      filters:
        - type: ResponseHeaderModifier
          responseHeaderModifier:
            set:
              - name: ${rule.setHeader.name}
                value: "${rule.setHeader.value}"`
                : ''
            }
      backendRefs:
        - name: ${rule.service ?? `svc-${rule.backendPort}`}
          port: ${rule.backendPort}`,
  )
  .join('\n')}
`;
}

export interface ServeProcess {
  child: ChildProcess;
  /** Admin base URL, read from the "admin server listening" log line. */
  admin: string;
  /** Parsed JSON log lines (stderr) so far. */
  logs: Record<string, unknown>[];
  /** Raw stdout (access log) so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or signal name). */
  exited: Promise<number | string>;
  stop(signal?: NodeJS.Signals): Promise<number | string>;
}

export interface SpawnOptions {
  args: string[];
  /** Run as this uid/gid (used to get a non-root process when the tests run as root). */
  uid?: number;
  gid?: number;
  /** Wait for the admin URL (default true); false for processes expected to fail at startup. */
  waitAdmin?: boolean;
}

export async function spawnServe(opts: SpawnOptions): Promise<ServeProcess> {
  const child = spawn(process.execPath, [BIN, 'serve', '--admin-port', '0', '--log-level', 'debug', ...opts.args], {
    cwd: ROOT,
    env: { ...process.env, PATH: CHILD_PATH },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(opts.uid !== undefined ? { uid: opts.uid, gid: opts.gid ?? opts.uid } : {}),
  });
  let out = '';
  let err = '';
  const logs: Record<string, unknown>[] = [];
  let partial = '';
  let adminResolve: (url: string) => void = () => {};
  const adminUrl = new Promise<string>((r) => {
    adminResolve = r;
  });
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    out += d;
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    err += d;
    partial += d;
    let i = partial.indexOf('\n');
    while (i !== -1) {
      const line = partial.slice(0, i);
      partial = partial.slice(i + 1);
      i = partial.indexOf('\n');
      try {
        const o = JSON.parse(line) as Record<string, unknown>;
        logs.push(o);
        if (o.msg === 'admin server listening' && typeof o.url === 'string') adminResolve(o.url);
      } catch {
        // not a log line (e.g. a startup error message)
      }
    }
  });
  const entry = { kill: () => child.kill('SIGKILL') };
  live.add(entry);
  const exited = new Promise<number | string>((resolve) => {
    child.on('exit', (code, signal) => {
      live.delete(entry);
      resolve(code ?? signal ?? -1);
    });
  });
  let admin = '';
  if (opts.waitAdmin ?? true) {
    const timeout = new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`serve did not start in time; stderr:\n${err}`)), 10_000).unref(),
    );
    const early = exited.then((code) => {
      throw new Error(`serve exited early (${code}); stderr:\n${err}`);
    });
    try {
      admin = await Promise.race([adminUrl, timeout, early]);
    } catch (e) {
      child.kill('SIGKILL');
      throw e;
    }
  }
  return {
    child,
    admin,
    logs,
    stdout: () => out,
    stderr: () => err,
    exited,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const code = await exited;
      clearTimeout(t);
      return code;
    },
  };
}

export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 5_000,
  intervalMs = 20,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      // A check that hangs (a stuck connection) must not outlive the deadline.
      const remaining = Math.max(deadline - Date.now(), intervalMs);
      const v = await Promise.race([
        fn(),
        new Promise<undefined>((r) => setTimeout(() => r(undefined), remaining).unref()),
      ]);
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export async function getJson<T = any>(url: string): Promise<T> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

/** One request through the gateway with a given Host, on a fresh connection. */
export function through(
  port: number,
  host: string,
  path = '/',
): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host }, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        body += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.setTimeout(5_000, () => req.destroy(new Error('request timed out')));
    req.end();
  });
}
