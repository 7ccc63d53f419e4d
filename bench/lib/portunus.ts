// Portunus under test: `portunus serve -f DIR --workers N` on generated Gateway API manifests that
// send everything to the upstream. Also used by the reload measurement (reload.ts). CPU and RSS
// cover the whole process tree: the primary (control plane) and its worker processes.

import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import {
  canConnect,
  commandOutput,
  exitReason,
  freePort,
  hasExited,
  processTree,
  type Started,
  startProcess,
  waitFor,
} from './proc.ts';
import type { ProxyDriver, RunContext, RunningProxy, Tweaks } from './types.ts';

const CONTROLLER = 'portunus.dev/gateway-controller';

export interface GatewayOptions {
  port: number;
  upstreamPort: number;
  /** PEM text; the listener is HTTPS when set. */
  tls?: { cert: string; key: string } | null;
}

/** GatewayClass, Gateway (one listener), and the upstream as a Service with an EndpointSlice. */
export function gatewayManifests(o: GatewayOptions): string {
  const indent = (pem: string) =>
    pem
      .trim()
      .split('\n')
      .map((l) => `      ${l}`)
      .join('\n');
  const listener = o.tls
    ? `    - name: https
      protocol: HTTPS
      port: ${o.port}
      tls:
        mode: Terminate
        certificateRefs:
          - name: bench-tls`
    : `    - name: http
      protocol: HTTP
      port: ${o.port}`;
  const secret = o.tls
    ? `---
apiVersion: v1
kind: Secret
metadata:
  name: bench-tls
  namespace: default
type: kubernetes.io/tls
stringData:
  tls.crt: |
${indent(o.tls.cert)}
  tls.key: |
${indent(o.tls.key)}
`
    : '';
  return `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata:
  name: bench
spec:
  controllerName: ${CONTROLLER}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: bench
  namespace: default
spec:
  gatewayClassName: bench
  listeners:
${listener}
      allowedRoutes:
        namespaces:
          from: Same
---
apiVersion: v1
kind: Service
metadata:
  name: upstream
  namespace: default
spec:
  ports:
    - name: http
      port: 80
      targetPort: ${o.upstreamPort}
      protocol: TCP
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: upstream-1
  namespace: default
  labels:
    kubernetes.io/service-name: upstream
addressType: IPv4
ports:
  - name: http
    port: ${o.upstreamPort}
    protocol: TCP
endpoints:
  - addresses: [127.0.0.1]
    conditions:
      ready: true
${secret}`;
}

export interface RouteOptions {
  name: string;
  match: { type: 'PathPrefix' | 'Exact' | 'RegularExpression'; value: string };
  /** Response header set by a ResponseHeaderModifier filter (the reload test's marker). */
  responseHeader?: { name: string; value: string };
}

export function routeManifest(r: RouteOptions): string {
  const filter = r.responseHeader
    ? `      filters:
        - type: ResponseHeaderModifier
          responseHeaderModifier:
            set:
              - name: ${r.responseHeader.name}
                value: "${r.responseHeader.value}"
`
    : '';
  return `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: ${r.name}
  namespace: default
spec:
  parentRefs:
    - name: bench
  rules:
    - matches:
        - path:
            type: ${r.match.type}
            value: "${r.match.value}"
${filter}      backendRefs:
        - name: upstream
          port: 80
`;
}

/** Zero-padded so file and resource order match numeric order. */
export const routeName = (i: number): string => `route-${String(i).padStart(5, '0')}`;

export interface PortunusProcess {
  started: Started;
  adminPort: number;
}

/** Starts serve on dir and waits for /readyz (not for the routes: callers probe what they need). */
export async function startPortunus(
  ctx: Pick<RunContext, 'root' | 'dir'>,
  manifestDir: string,
  extraArgs: string[] = [],
  logName = 'portunus',
): Promise<PortunusProcess> {
  const adminPort = await freePort();
  const args = [
    join(ctx.root, 'bin/portunus.js'),
    'serve',
    '-f',
    manifestDir,
    '--admin-address',
    '127.0.0.1',
    '--admin-port',
    String(adminPort),
    '--bind-address',
    '127.0.0.1',
    '--access-log',
    'off',
    '--log-level',
    'warn',
    ...extraArgs,
  ];
  const started = await startProcess('portunus', process.execPath, args, join(ctx.dir, `${logName}.out`));
  try {
    await waitFor(
      `portunus /readyz on 127.0.0.1:${adminPort} (log: ${started.logFile})`,
      async () => (await httpStatus(adminPort, '/readyz')) === 200,
      30_000,
      20,
      exitReason(started),
    );
  } catch (err) {
    // Not left running to load the machine during the next measurements.
    await started.stop();
    throw err;
  }
  return { started, adminPort };
}

function httpStatus(port: number, path: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false, timeout: 2000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

/** How serve's worker count is set in this run, for the results file. */
export function workersNote(root: string): string {
  return serveAccepts(root, '--workers')
    ? 'Portunus: serve --workers N (primary + N worker processes)'
    : 'Portunus: serve has no --workers option yet, so one data plane in the serve process';
}

/** serve's worker processes (its children), or serve itself when the data plane runs in it. */
export function workerPids(primary: number): number[] {
  const children = processTree(primary).filter((p) => p !== primary);
  return children.length > 0 ? children : [primary];
}

const accepted = new Map<string, boolean>();
/**
 * Whether `portunus serve` has an option that takes a value (options that other people are still
 * adding). serve parses every option before it looks at --help, so `serve OPTION 1 --help` prints
 * the help when the option exists and "Unknown option" when it does not; nothing starts. Asked once
 * per run and option, so every scenario of a run sees the same answer.
 */
export function serveAccepts(root: string, option: string): boolean {
  const key = `${root}\0${option}`;
  let ok = accepted.get(key);
  if (ok === undefined) {
    const out = commandOutput(process.execPath, [join(root, 'bin/portunus.js'), 'serve', option, '1', '--help']);
    ok = out !== null && !/unknown option/i.test(out);
    accepted.set(key, ok);
  }
  return ok;
}

/**
 * serve's arguments for a worker count: always explicit once serve has --workers (its default is
 * the number of cores, which would make a "1 worker" row use them all); without the option, serve
 * runs one data plane in its own process, which is 1 worker, and more cannot be had (null).
 */
export function workerArgs(root: string, workers: number): string[] | null {
  if (serveAccepts(root, '--workers')) return ['--workers', String(workers)];
  return workers === 1 ? [] : null;
}

/**
 * Whether bin/portunus.js will run the compiled build: it does when dist/.build-stamp is at least
 * as new as every file under src/ (the same rule as the bin script), and the two differ in
 * startup time and memory.
 */
function runsBuild(): boolean {
  const root = new URL('../../', import.meta.url);
  const stamp = new URL('dist/.build-stamp', root);
  if (!existsSync(stamp)) return false;
  let newest = 0;
  for (const e of readdirSync(new URL('src/', root), { withFileTypes: true, recursive: true })) {
    if (e.isFile()) newest = Math.max(newest, statSync(join(e.parentPath, e.name)).mtimeMs);
  }
  return statSync(stamp).mtimeMs >= newest;
}

export const portunusDriver: ProxyDriver = {
  name: 'portunus',
  version() {
    try {
      const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
        version: string;
      };
      return `portunus/${pkg.version} (node ${process.version}, ${runsBuild() ? 'compiled dist/' : 'TypeScript sources'})`;
    } catch {
      return 'portunus';
    }
  },
  unsupported(t, ctx) {
    if (t.tls && !ctx.tls) return 'no certificate (openssl missing?)';
    if (workerArgs(ctx.root, t.workers) === null) {
      return `serve has no --workers option yet (serve --workers 1 --help: unknown option)`;
    }
    return null;
  },
  // TLS and h2 are probed rather than assumed: a listener that does not answer them is reported.
  probeFailure: 'unsupported',
  async start(t: Tweaks, ctx: RunContext): Promise<RunningProxy> {
    const dir = join(ctx.dir, 'portunus-manifests');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const port = await freePort();
    const tls = t.tls ? { cert: readFileSync(ctx.tls!.cert, 'utf8'), key: readFileSync(ctx.tls!.key, 'utf8') } : null;
    writeFileSync(join(dir, 'gateway.yaml'), gatewayManifests({ port, upstreamPort: ctx.upstreamPort, tls }));
    if (t.regexRoutes > 0) {
      const docs: string[] = [];
      for (let i = 0; i < t.regexRoutes; i++) {
        docs.push(
          routeManifest({ name: routeName(i), match: { type: 'RegularExpression', value: `/r/${i}/[a-z0-9]+` } }),
        );
      }
      writeFileSync(join(dir, 'routes.yaml'), docs.join('---\n'));
    } else {
      writeFileSync(join(dir, 'route.yaml'), routeManifest({ name: 'all', match: { type: 'PathPrefix', value: '/' } }));
    }
    const p = await startPortunus(ctx, dir, workerArgs(ctx.root, t.workers) ?? []);
    const s = p.started;
    // With worker processes, /readyz may answer before every worker listens; wait for the port.
    try {
      await waitFor(`portunus on port ${port} (log: ${s.logFile})`, () => canConnect(port), 10_000, 20, exitReason(s));
    } catch (err) {
      await s.stop();
      throw err;
    }
    return {
      port,
      cpuRoot: s.pid,
      rssPids: () => processTree(s.pid),
      workerPids: () => workerPids(s.pid),
      stop: () => s.stop(),
      exited: () => hasExited(s),
      logFile: s.logFile,
    };
  },
};
