// One real `portunus serve` per test file, fed the upstream conformance base manifests plus the
// scenarios' manifests, with a real echo backend behind every Service.
//
// What differs from a Kubernetes run, and why:
// - Deployments are ignored; each Service gets echo servers (pods named `<deployment>-<hash>-<id>`,
//   as upstream checks compare the pod *prefix*) on ephemeral loopback ports, and an EndpointSlice
//   generated here pointing at them (every Service port maps to the echo port: the echo serves
//   HTTP/1.1, h2c, WebSocket and gRPC on one port).
// - Listener ports are rewritten to free high ports (80 -> P80, 443 -> P443, ...), consistently in
//   Gateways and route parentRef ports: several test files run at once, and two processes binding
//   the same port with SO_REUSEPORT would share its connections. Expectations that depend on the
//   listener port (redirect Locations without an explicit port) are translated through `port()`.
// - `serve --address-pool` gives every Gateway without spec.addresses its own loopback address
//   (127.0.0.N), so Gateways sharing a port are distinct; requests go to the address the Gateway
//   reports in status.addresses, as upstream's WaitForGatewayAddress.
// - Each echo server sits behind a small recording TCP relay, so a test can see which requests a
//   backend received (upstream reads the mirror backends' logs for that).

import { type ChildProcess, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server, type Socket, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments, stringify } from 'yaml';
import { type EchoServer, startEchoServer } from '../../src/echo/index.ts';
import { type Doc, type NN, scenario } from '../conformance/harness.ts';
import { startDNSServer, startTCPEchoServer, startUDPEchoServer } from './l4backends.ts';

/** Loopback addresses `portunus serve` hands out to Gateways (Linux routes all of 127/8 locally). */
export const ADDRESS_POOL = '127.0.0.10-127.0.0.250';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..', '..');

/** A request line seen by a backend (HTTP/1.x only; the data plane speaks HTTP/1.1 to plain Services). */
export interface SeenRequest {
  method: string;
  target: string;
}

export interface Backend {
  namespace: string;
  service: string;
  pod: string;
  /** Relay port (what the EndpointSlice names). */
  port: number;
  seen: SeenRequest[];
}

export interface GatewayInfo {
  nn: NN;
  /** status.addresses[0].value, or null when the Gateway reports none. */
  address: string | null;
}

export interface TrafficEnv {
  /**
   * Serves the base manifests plus these scenario manifests (replacing the previous scenario's),
   * as upstream applies a test's manifests and deletes them afterwards; waits until the data plane
   * runs the new version. `mutate` edits the documents first (e.g. to fill manual EndpointSlices).
   */
  use(manifests: string[], mutate?: (docs: Doc[]) => void): Promise<void>;
  /** Original listener port -> the port actually used (per Gateway in the distinct-ports mode). */
  port(original: number, gw?: NN): number;
  /** host:port to send to for a Gateway's listener port (original number), from its status address. */
  gatewayAddr(gw: NN, originalPort?: number): string;
  gateway(gw: NN): GatewayInfo;
  backends: Backend[];
  backend(namespace: string, service: string): Backend[];
  /** The rendered status of every resource, as /status gives it, for the current scenario. */
  status: Doc;
  adminUrl: string;
  /** stderr + stdout of the serve process so far (for failure messages). */
  log(): string;
  /** tls.crt of a suite-setup Secret (kubernetes.GetTLSSecret), PEM. */
  secretCert(namespace: string, name: string): string;
  close(): Promise<void>;
}

export interface EnvOptions {
  /**
   * Every scenario manifest the file will `use()` (paths under test/testdata/conformance/tests,
   * or absolute paths): ports, addresses and backends are assigned once for all of them.
   */
  manifests: string[];
  /** Replicas per Service (default 1); key "namespace/name". */
  replicas?: Record<string, number>;
  /**
   * Back each Service with what its Deployment runs upstream instead of the HTTP echo everywhere
   * (`l4backends.ts`): the TCP echo server (TCP_ECHO_SERVER; plain and TLS ports), the UDP echo
   * server (UDP_ECHO_SERVER), CoreDNS, and the HTTP echo with TLS (TLS_SERVER_CERT; client
   * certificates checked against TLS_CLIENT_CACERTS when set). Used by the TLSRoute, TCPRoute,
   * UDPRoute and BackendTLSPolicy scenarios.
   */
  l4Backends?: boolean;
}

/**
 * A free port for a listener, drawn below Linux's ephemeral range (32768-60999) so that the many
 * port-0 binds of backends and clients, here and in concurrent test files, cannot take it between
 * this check and the moment `serve` binds it.
 */
async function freePort(): Promise<number> {
  for (let i = 0; i < 100; i++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const s = createServer();
    const ok = await new Promise<boolean>((resolve) => {
      s.once('error', () => resolve(false));
      s.listen(port, '0.0.0.0', () => resolve(true));
    });
    if (ok) {
      await new Promise<void>((resolve) => s.close(() => resolve()));
      // UDP listeners use the same numbers: the port must be free for UDP too.
      if (await udpFree(port)) return port;
    }
  }
  throw new Error('no free port found in 20000-31999');
}

async function udpFree(port: number): Promise<boolean> {
  const u = createSocket('udp4');
  const ok = await new Promise<boolean>((resolve) => {
    u.once('error', () => resolve(false));
    u.bind(port, '0.0.0.0', () => resolve(true));
  });
  await new Promise<void>((resolve) => {
    try {
      u.close(() => resolve());
    } catch {
      resolve();
    }
  });
  return ok;
}

const REQUEST_LINE = /(?:^|\r\n)([A-Z]+) (\S+) HTTP\/1\.[01]\r\n/g;

/** A TCP relay in front of an echo server that records the HTTP/1.x request lines passing through. */
async function startRecorder(target: number, seen: SeenRequest[]): Promise<{ server: Server; port: number }> {
  const sockets = new Set<Socket>();
  const server = createServer((down) => {
    sockets.add(down);
    const up = connect(target, '127.0.0.1');
    sockets.add(up);
    let tail = '';
    down.on('data', (chunk: Buffer) => {
      // Scan the stream with a short carry-over so a request line split across chunks is still seen.
      const text = tail + chunk.toString('latin1');
      let lastEnd = 0;
      for (const m of text.matchAll(REQUEST_LINE)) {
        seen.push({ method: m[1]!, target: m[2]! });
        lastEnd = (m.index ?? 0) + m[0].length;
      }
      tail = text.slice(Math.max(lastEnd, text.length - 4096));
      up.write(chunk);
    });
    up.on('data', (chunk: Buffer) => down.write(chunk));
    down.on('end', () => up.end());
    up.on('end', () => down.end());
    down.on('error', () => up.destroy());
    up.on('error', () => down.destroy());
    down.on('close', () => {
      sockets.delete(down);
      up.destroy();
    });
    up.on('close', () => {
      sockets.delete(up);
      down.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  server.on('close', () => {
    for (const s of sockets) s.destroy();
  });
  return { server, port: (server.address() as AddressInfo).port };
}

function podName(deployment: string, i: number): string {
  // ReplicaSet hash + pod suffix, the shape Kubernetes gives (only the prefix is compared).
  return `${deployment}-6c9b8d7f5-${['x7k2p', 'q4m9z', 'b3n8w', 'h5t6r'][i % 4]}`;
}

function parentRefs(d: Doc): Doc[] {
  return (d.spec?.parentRefs ?? []) as Doc[];
}

export async function startEnv(opts: EnvOptions): Promise<TrafficEnv> {
  // Base manifests + GatewayClass + suite-setup certificates, exactly as the status port loads
  // them; each scenario's manifests come on top (readManifest).
  const base = scenario([]).docs;
  const perScenario = new Map<string, Doc[]>();
  for (const m of opts.manifests) perScenario.set(m, testDocs(m));
  const everything = [...base, ...[...perScenario.values()].flat()];

  // Ports: every listener port of every Gateway gets a free high port. In the diagnostic mode
  // PORTUNUS_TRAFFIC_DISTINCT_PORTS=1 each Gateway gets its own ports instead, which sidesteps a data
  // plane that serves every Gateway of a port as one (see README.md); the judged mode is the default.
  const distinct = process.env.PORTUNUS_TRAFFIC_DISTINCT_PORTS === '1';
  const portMap = new Map<string, number>();
  const portKey = (gwNs: string, gwName: string, p: number): string => (distinct ? `${gwNs}/${gwName}:${p}` : `${p}`);
  const gwOf = (d: Doc): [string, string] => [d.metadata.namespace ?? 'default', d.metadata.name];
  for (const d of everything) {
    if (d.kind !== 'Gateway') continue;
    for (const l of (d.spec?.listeners ?? []) as Doc[]) {
      const k = portKey(...gwOf(d), l.port);
      if (!portMap.has(k)) portMap.set(k, await freePort());
    }
  }
  const mapPort = (p: number, gw?: NN): number =>
    portMap.get(portKey(gw?.namespace ?? '', gw?.name ?? '', p)) ?? portMap.get(`${p}`) ?? p;

  const rewrite = (docs: Doc[]): void => {
    for (const d of docs) {
      if (d.kind === 'Gateway') {
        const [ns, name] = gwOf(d);
        for (const l of (d.spec?.listeners ?? []) as Doc[]) l.port = mapPort(l.port, { namespace: ns, name });
        // Per-port frontend TLS settings name listener ports too.
        for (const p of (d.spec?.tls?.frontend?.perPort ?? []) as Doc[])
          if (typeof p.port === 'number') p.port = mapPort(p.port, { namespace: ns, name });
      }
      if (/Route$/.test(d.kind ?? '')) {
        for (const p of parentRefs(d)) {
          if (typeof p.port !== 'number') continue;
          if (p.kind && p.kind !== 'Gateway') continue;
          p.port = mapPort(p.port, { namespace: p.namespace ?? d.metadata.namespace ?? 'default', name: p.name });
        }
      }
    }
  };

  // Backends: echo servers (each behind a recording relay) per replica of every Service with a
  // selector, in the base and in every scenario; their EndpointSlices are generated. Services
  // without a selector keep the EndpointSlices their manifests bring.
  const backends: Backend[] = [];
  const echoes: EchoServer[] = [];
  const relays: Server[] = [];
  const closers: (() => Promise<void>)[] = [];
  const slices = new Map<string, Doc[]>();
  const seenSvc = new Set<string>();
  for (const svc of everything.filter((d) => d.kind === 'Service' && d.apiVersion === 'v1')) {
    const ns = svc.metadata.namespace ?? 'default';
    const name = svc.metadata.name as string;
    const app = svc.spec?.selector?.app;
    if (!app || svc.spec?.type === 'ExternalName' || seenSvc.has(`${ns}/${name}`)) continue;
    seenSvc.add(`${ns}/${name}`);
    const replicas = opts.replicas?.[`${ns}/${name}`] ?? 1;
    const list: Doc[] = [];
    if (opts.l4Backends) {
      const made = await startL4Backend(everything, svc, replicas, backends, closers);
      if (made !== null) {
        slices.set(`${ns}/${name}`, made);
        continue;
      }
    }
    for (let i = 0; i < replicas; i++) {
      // The pod name prefix is the Deployment's name, which the upstream manifests make the app label.
      const pod = podName(app, i);
      const echo = await startEchoServer({ host: '127.0.0.1', port: 0, namespace: ns, pod, service: name });
      echoes.push(echo);
      const seen: SeenRequest[] = [];
      const relay = await startRecorder(echo.port, seen);
      relays.push(relay.server);
      backends.push({ namespace: ns, service: name, pod, port: relay.port, seen });
      // One slice per replica: each replica has its own port, as one slice has one port list.
      list.push({
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: { name: `${name}-${i}`, namespace: ns, labels: { 'kubernetes.io/service-name': name } },
        addressType: 'IPv4',
        endpoints: [{ addresses: ['127.0.0.1'], conditions: { ready: true }, targetRef: { kind: 'Pod', name: pod } }],
        ports: ((svc.spec?.ports ?? []) as Doc[]).map((p) => ({
          ...(p.name ? { name: p.name } : {}),
          port: relay.port,
          protocol: p.protocol ?? 'TCP',
          ...(p.appProtocol ? { appProtocol: p.appProtocol } : {}),
        })),
      });
    }
    slices.set(`${ns}/${name}`, list);
  }

  const dir = mkdtempSync(join(tmpdir(), 'portunus-traffic-'));
  const file = join(dir, 'manifests.yaml');
  let current = '';
  const render = (manifests: string[], mutate?: (docs: Doc[]) => void): string => {
    const docs = structuredClone(base);
    for (const m of manifests) {
      const more = perScenario.get(m);
      if (!more) throw new Error(`TEST BUG: ${m} is not in startEnv's manifests`);
      docs.push(...structuredClone(more));
    }
    const present = new Set(
      docs.filter((d) => d.kind === 'Service').map((d) => `${d.metadata.namespace ?? 'default'}/${d.metadata.name}`),
    );
    for (const [k, list] of slices) if (present.has(k)) docs.push(...structuredClone(list));
    mutate?.(docs);
    rewrite(docs);
    return docs.map((d) => stringify(d, { lineWidth: 0 })).join('---\n');
  };
  current = render([]);
  writeFileSync(file, current);

  let output = '';
  const child: ChildProcess = spawn(
    process.execPath,
    [
      join(ROOT, 'bin', 'portunus.js'),
      'serve',
      '-f',
      file,
      '--admin-port',
      '0',
      '--access-log',
      'off',
      '--log-level',
      'info',
      '--drain-timeout',
      '500',
      '--reload-debounce',
      '20',
      // Each Gateway without spec.addresses gets its own loopback address, reported in status.
      '--address-pool',
      ADDRESS_POOL,
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout!.on('data', (c: Buffer) => {
    output += c.toString();
  });
  const adminUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`portunus serve did not start:\n${output}`)), 20_000);
    child.stderr!.on('data', (c: Buffer) => {
      output += c.toString();
      const m = /"url":"(http:\/\/[^"]+)"[^\n]*admin server listening/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`portunus serve exited with ${code}:\n${output}`));
    });
  });

  const getJson = async (path: string): Promise<Doc | null> =>
    fetch(`${adminUrl}${path}`)
      .then((r) => (r.ok ? (r.json() as Promise<Doc>) : null))
      .catch(() => null);
  const waitFor = async (what: string, ok: () => Promise<boolean>): Promise<void> => {
    const deadline = Date.now() + 20_000;
    while (!(await ok())) {
      if (Date.now() > deadline)
        throw new Error(`portunus serve: ${what} did not happen in 20 s:\n${output.slice(-4000)}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  };
  await waitFor('readiness', async () => (await fetch(`${adminUrl}/readyz`).catch(() => null))?.ok === true);

  let version = String((await getJson('/config_dump'))?.version ?? '');
  const env: TrafficEnv = {
    status: (await getJson('/status')) ?? {},
    async use(manifests, mutate) {
      const next = render(manifests, mutate);
      if (next === current) return;
      current = next;
      writeFileSync(file, next);
      child.kill('SIGHUP');
      const before = version;
      await waitFor('a reload to a new version', async () => {
        const v = String((await getJson('/config_dump'))?.version ?? '');
        if (v === '' || v === before) return false;
        version = v;
        return true;
      });
      // Status must describe the same version (pool addresses can move when Gateways come and go).
      await waitFor('status of the new version', async () => {
        const st = await getJson('/status');
        if (!st || String(st.version ?? '') !== version) return false;
        env.status = st;
        return true;
      });
    },
    port: mapPort,
    gatewayAddr(gw: NN, originalPort = 80): string {
      const info = env.gateway(gw);
      // Upstream takes the address from status (WaitForGatewayAddress); so do we.
      if (!info.address) throw new Error(`Gateway ${gw.namespace}/${gw.name} reports no status.addresses`);
      return `${info.address}:${mapPort(originalPort, gw)}`;
    },
    gateway(gw: NN): GatewayInfo {
      const found = ((env.status.resources ?? []) as Doc[]).find(
        (r) => r.kind === 'Gateway' && r.metadata?.name === gw.name && r.metadata?.namespace === gw.namespace,
      );
      return { nn: gw, address: (found?.status?.addresses ?? [])[0]?.value ?? null };
    },
    backends,
    backend: (namespace, service) => backends.filter((b) => b.namespace === namespace && b.service === service),
    adminUrl,
    log: () => output,
    secretCert(namespace, name) {
      const secret = base.find(
        (d) => d.kind === 'Secret' && d.metadata?.namespace === namespace && d.metadata?.name === name,
      );
      const crt = secret?.data?.['tls.crt'];
      if (typeof crt !== 'string') throw new Error(`TEST BUG: no TLS Secret ${namespace}/${name}`);
      return Buffer.from(crt, 'base64').toString('utf8');
    },
    async close() {
      if (child.exitCode === null) {
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(t);
      }
      await Promise.all(echoes.map((e) => e.close()));
      await Promise.all(relays.map((r) => new Promise<void>((resolve) => r.close(() => resolve()))));
      await Promise.all(closers.map((c) => c()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return env;
}

/** A scenario's own documents (without the base and suite-setup ones). */
function testDocs(m: string): Doc[] {
  if (m.startsWith('/')) {
    const out: Doc[] = [];
    for (const d of parseAllDocuments(readFileSync(m, 'utf8'))) {
      const v = d.toJSON();
      if (v && typeof v === 'object') out.push(v as Doc);
    }
    return out;
  }
  // scenario(m) = GatewayClass + base + m's documents + suite setup; keep m's.
  const all = scenario([m]).docs;
  const without = scenario([]).docs;
  const setup = without.length - baseLength();
  return all.slice(baseLength(), all.length - setup);
}

let baseLen: number | undefined;
function baseLength(): number {
  if (baseLen === undefined) {
    // GatewayClass + base manifests: what scenario() puts before the test manifests. Measured with
    // a one-document marker manifest would need a file; instead count the base file's documents.
    const text = readFileSync(join(ROOT, 'test', 'testdata', 'conformance', 'base', 'manifests.yaml'), 'utf8');
    baseLen =
      1 +
      parseAllDocuments(text).filter((d) => {
        const v = d.toJSON();
        return v && typeof v === 'object';
      }).length;
  }
  return baseLen;
}

// ---------------------------------------------------------------------------------------------
// Layer-4 backends (EnvOptions.l4Backends)

type BackendKind = 'tcp' | 'udp' | 'dns' | 'https';

function deploymentOf(docs: Doc[], svc: Doc): Doc | undefined {
  const ns = svc.metadata.namespace ?? 'default';
  const app = svc.spec?.selector?.app;
  return docs.find(
    (d) =>
      d.kind === 'Deployment' &&
      (d.metadata?.namespace ?? 'default') === ns &&
      d.spec?.template?.metadata?.labels?.app === app,
  );
}

function containerEnv(dep: Doc): Map<string, string> {
  const out = new Map<string, string>();
  for (const c of (dep.spec?.template?.spec?.containers ?? []) as Doc[])
    for (const e of (c.env ?? []) as Doc[]) if (typeof e.value === 'string') out.set(e.name, e.value);
  return out;
}

function kindOf(dep: Doc): BackendKind | null {
  const env = containerEnv(dep);
  if (env.has('TCP_ECHO_SERVER')) return 'tcp';
  if (env.has('UDP_ECHO_SERVER')) return 'udp';
  const images = ((dep.spec?.template?.spec?.containers ?? []) as Doc[]).map((c) => String(c.image ?? ''));
  if (images.some((i) => i.includes('/coredns/'))) return 'dns';
  if (env.has('TLS_SERVER_CERT')) return 'https';
  return null;
}

/** CA certificates a Deployment mounts from a ConfigMap (TLS_CLIENT_CACERTS: client validation). */
function mountedClientCA(docs: Doc[], dep: Doc): string | undefined {
  if (!containerEnv(dep).has('TLS_CLIENT_CACERTS')) return undefined;
  const ns = dep.metadata?.namespace ?? 'default';
  const volumes = (dep.spec?.template?.spec?.volumes ?? []) as Doc[];
  const name = volumes.find((v) => v.configMap?.name)?.configMap?.name;
  const cm = docs.find(
    (d) => d.kind === 'ConfigMap' && (d.metadata?.namespace ?? 'default') === ns && d.metadata?.name === name,
  );
  const ca = cm?.data?.['ca.crt'];
  return typeof ca === 'string' ? ca : undefined;
}

/** The certificate a Deployment mounts (its secret volume), from the scenario's Secrets. */
function mountedCert(docs: Doc[], dep: Doc): { certPem: string; keyPem: string } | undefined {
  const ns = dep.metadata?.namespace ?? 'default';
  const volumes = (dep.spec?.template?.spec?.volumes ?? []) as Doc[];
  const secretName = volumes.find((v) => v.secret?.secretName)?.secret?.secretName;
  if (!secretName) return undefined;
  const secret = docs.find(
    (d) => d.kind === 'Secret' && (d.metadata?.namespace ?? 'default') === ns && d.metadata?.name === secretName,
  );
  const crt = secret?.data?.['tls.crt'];
  const key = secret?.data?.['tls.key'];
  if (typeof crt !== 'string' || typeof key !== 'string') return undefined;
  return { certPem: Buffer.from(crt, 'base64').toString('utf8'), keyPem: Buffer.from(key, 'base64').toString('utf8') };
}

/**
 * Starts the backend a Service's Deployment runs upstream (null: plain HTTP echo, the default path)
 * and returns its EndpointSlices: one per replica, each Service port mapped by targetPort to the
 * server's own port (tcp-backend: 3000 plain, 8443 TLS).
 */
async function startL4Backend(
  docs: Doc[],
  svc: Doc,
  replicas: number,
  backends: Backend[],
  closers: (() => Promise<void>)[],
): Promise<Doc[] | null> {
  const dep = deploymentOf(docs, svc);
  const kind = dep ? kindOf(dep) : null;
  if (!dep || kind === null) return null;
  const ns = svc.metadata.namespace ?? 'default';
  const name = svc.metadata.name as string;
  const service = containerEnv(dep).get('SERVICE_NAME') ?? name;
  const tlsPort = Number(containerEnv(dep).get('TLS_PORT') ?? 8443);
  const out: Doc[] = [];
  for (let i = 0; i < replicas; i++) {
    const pod = podName(dep.metadata.name, i);
    let portFor: (target: number) => number;
    let main: number;
    if (kind === 'tcp') {
      const s = await startTCPEchoServer({ namespace: ns, service, pod }, mountedCert(docs, dep));
      closers.push(() => s.close());
      main = s.plainPort;
      portFor = (t) => (t === tlsPort && s.tlsPort !== null ? s.tlsPort : s.plainPort);
    } else if (kind === 'udp' || kind === 'dns') {
      const s = kind === 'udp' ? await startUDPEchoServer({ namespace: ns, service, pod }) : await startDNSServer();
      closers.push(() => s.close());
      main = s.port;
      portFor = () => s.port;
    } else {
      const cert = mountedCert(docs, dep);
      const clientCaPem = mountedClientCA(docs, dep);
      const echo = await startEchoServer({
        host: '127.0.0.1',
        port: 0,
        namespace: ns,
        pod,
        service: name,
        ...(cert ? { tls: { ...cert, ...(clientCaPem ? { clientCaPem } : {}) } } : {}),
      });
      closers.push(() => echo.close());
      main = echo.port;
      portFor = () => echo.port;
    }
    backends.push({ namespace: ns, service: name, pod, port: main, seen: [] });
    out.push({
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: `${name}-${i}`, namespace: ns, labels: { 'kubernetes.io/service-name': name } },
      addressType: 'IPv4',
      endpoints: [{ addresses: ['127.0.0.1'], conditions: { ready: true }, targetRef: { kind: 'Pod', name: pod } }],
      ports: ((svc.spec?.ports ?? []) as Doc[]).map((p) => ({
        ...(p.name ? { name: p.name } : {}),
        port: portFor(typeof p.targetPort === 'number' ? p.targetPort : p.port),
        protocol: p.protocol ?? 'TCP',
        ...(p.appProtocol ? { appProtocol: p.appProtocol } : {}),
      })),
    });
  }
  return out;
}
