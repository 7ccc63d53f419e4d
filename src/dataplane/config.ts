// Compiles an IR version into immutable per-port tables. Requests read one PortConfig reference at
// their start and keep it, so a swap never changes what an in-flight request sees.
import type { ClusterIR, HTTPRouteIR, IR, ListenerIR, RedirectIR, RetryIR, SessionPersistenceIR } from '../ir/types.ts';
import { compileChain, type FilterChain, type FilterCompileContext } from './filters/index.ts';
import { compileHostTable, type HostTable, lookupHost, normalizeHost } from './router/hosts.ts';
import { compileRouteTable, type RouteTable } from './router/compile.ts';
import { compilePortTLS, type PortTLS } from './https.ts';
import { Cluster, type PoolRegistry } from './upstream/cluster.ts';
import type { L4PortPlan } from './l4/serve.ts';

export const ACTION_FORWARD = 0;
export const ACTION_REDIRECT = 1;
export const ACTION_DIRECT = 2;

export interface CompiledBackend {
  /** null: invalid backendRef, answered with 500. */
  readonly cluster: Cluster | null;
  readonly weight: number;
  readonly chain: FilterChain;
}

export interface CompiledRoute {
  readonly ir: HTTPRouteIR;
  /** Source route for logs ("HTTPRoute/ns/name"). */
  readonly routeName: string;
  readonly chain: FilterChain;
  readonly action: number;
  /** Backends with weight > 0. */
  readonly backends: readonly CompiledBackend[];
  readonly totalWeight: number;
  readonly redirect: RedirectIR | null;
  /** PathPrefix value of the match, for ReplacePrefixMatch. */
  readonly prefix: string | null;
  readonly directStatus: number;
  readonly directBody: string;
  /** 0 = none. */
  readonly requestTimeoutMs: number;
  readonly backendTimeoutMs: number;
  readonly retry: RetryIR | null;
  readonly session: SessionPersistenceIR | null;
  readonly grpc: boolean;
}

export interface CompiledListener {
  readonly name: string;
  readonly port: number;
  readonly scheme: string;
  readonly vhosts: HostTable<RouteTable<CompiledRoute>>;
}

export interface PortConfig {
  readonly port: number;
  readonly version: string;
  /** "port/<n>" for access logs when no listener matched. */
  readonly portLabel: string;
  /** Listeners of Gateways without addresses: they serve every local address. */
  readonly listeners: HostTable<CompiledListener>;
  /**
   * Local address → listeners of the Gateways that name that address (then the address-less
   * ones). null when no Gateway on this port names an address.
   */
  readonly byAddress: Map<string, HostTable<CompiledListener>> | null;
  /** Protocol of the listeners bound here (all listeners on one port share it): 'HTTP' or 'HTTPS'. */
  readonly protocol: string;
  /** HTTPS ports: certificates and client validation; null for cleartext. */
  readonly tls: PortTLS | null;
  /** Label for connection hooks: the listener name when the port has one listener, else "port/<n>". */
  readonly connectionLabel: string;
  /**
   * HTTPS ports shared with TLS listeners: which SNI names go to the layer-4 path (true) rather
   * than HTTPS termination. null on ports without TLS listeners.
   */
  readonly sniSplit: SNISplit | null;
}

export interface SNISplit {
  readonly listeners: HostTable<boolean>;
  readonly byAddress: Map<string, HostTable<boolean>> | null;
}

export interface CompiledIR {
  readonly ports: Map<number, PortConfig>;
  readonly clusters: Map<string, Cluster>;
  /** Listener names that could not be served (unsupported protocol), with the reason. */
  readonly unsupported: { listener: string; port: number; reason: string }[];
  /** TCP and TLS ports (a TLS port shared with HTTPS listeners is in `ports` too, with sniSplit). */
  readonly l4: Map<number, L4PortPlan>;
  readonly udp: Map<number, L4PortPlan>;
  /** Every ClusterIR by name, for the layer-4 listeners. */
  readonly clusterIRs: Map<string, ClusterIR>;
}

/** Whether a TLS ClientHello with `sni` (undefined: none) goes to the layer-4 path. */
export function sniToL4(split: SNISplit, localAddress: string, sni: string | undefined): boolean {
  const table = split.byAddress === null ? split.listeners : (split.byAddress.get(localAddress) ?? split.listeners);
  const hit = sni === undefined || sni === '' ? table.any : lookupHost(table, normalizeHost(sni));
  return hit === true;
}

interface Entry {
  l: ListenerIR;
  addresses: string[];
}

/**
 * Groups a port's listeners by Gateway address: Gateways with addresses only see connections to
 * those addresses (their own listeners first, then the address-less ones); address-less ones see all.
 */
function groupByAddress<T>(entries: Entry[], values: T[]): { any: T[]; byAddress: Map<string, T[]> | null } {
  const anyIdx = entries.flatMap((e, i) => (e.addresses.length === 0 ? [i] : []));
  const addresses = new Set(entries.flatMap((e) => e.addresses));
  let byAddress: Map<string, T[]> | null = null;
  if (addresses.size > 0) {
    byAddress = new Map();
    for (const a of addresses) {
      const own = entries.flatMap((e, i) => (e.addresses.includes(a) ? [i] : []));
      byAddress.set(
        a,
        [...own, ...anyIdx].map((i) => values[i]!),
      );
    }
  }
  return { any: anyIdx.map((i) => values[i]!), byAddress };
}

function l4Plan(port: number, entries: Entry[]): L4PortPlan {
  const g = groupByAddress(
    entries,
    entries.map((e) => e.l),
  );
  return {
    port,
    protocol: entries[0]!.l.protocol,
    listeners: g.any,
    byAddress: g.byAddress,
    names: entries.map((e) => e.l.name),
    label: entries.length === 1 ? entries[0]!.l.name : 'port/' + port,
  };
}

function push(map: Map<number, Entry[]>, e: Entry): void {
  let list = map.get(e.l.port);
  if (list === undefined) {
    list = [];
    map.set(e.l.port, list);
  }
  list.push(e);
}

/** The listeners a connection to `localAddress` can reach. */
export function listenersFor(config: PortConfig, localAddress: string): HostTable<CompiledListener> {
  const byAddress = config.byAddress;
  if (byAddress === null) return config.listeners;
  return byAddress.get(localAddress) ?? config.listeners;
}

function compileRoute(ir: HTTPRouteIR, clusters: Map<string, Cluster>): CompiledRoute {
  const ctx: FilterCompileContext = { route: ir, cluster: (name) => clusters.get(name) ?? null };
  const action = ir.action;
  const backends: CompiledBackend[] = [];
  let totalWeight = 0;
  if (action.type === 'Forward') {
    for (const b of action.backends) {
      if (b.weight <= 0) continue;
      backends.push({
        cluster: b.cluster === null ? null : (clusters.get(b.cluster) ?? null),
        weight: b.weight,
        chain: compileChain(b.filters, ctx),
      });
      totalWeight += b.weight;
    }
  }
  const path = ir.match.path;
  return {
    ir,
    routeName: ir.route,
    chain: compileChain(ir.filters, ctx),
    action: action.type === 'Forward' ? ACTION_FORWARD : action.type === 'Redirect' ? ACTION_REDIRECT : ACTION_DIRECT,
    backends,
    totalWeight,
    redirect: action.type === 'Redirect' ? action.redirect : null,
    prefix: path !== undefined && path.type === 'PathPrefix' ? path.value : null,
    directStatus: action.type === 'DirectResponse' ? action.status : 0,
    directBody: action.type === 'DirectResponse' ? (action.body ?? '') : '',
    requestTimeoutMs: ir.timeouts?.requestMs ?? 0,
    backendTimeoutMs: ir.timeouts?.backendRequestMs ?? 0,
    retry: ir.retry ?? null,
    session: ir.sessionPersistence ?? null,
    grpc: ir.grpc === true,
  };
}

function compileListener(l: ListenerIR, clusters: Map<string, Cluster>): CompiledListener {
  const vhosts = (l.virtualHosts ?? []).map(
    (v) =>
      [v.hostname, compileRouteTable(v.routes.map((r) => ({ match: r.match, value: compileRoute(r, clusters) })))] as [
        string,
        RouteTable<CompiledRoute>,
      ],
  );
  return {
    name: l.name,
    port: l.port,
    scheme: l.protocol === 'HTTPS' ? 'https' : 'http',
    vhosts: compileHostTable(vhosts),
  };
}

/**
 * `previous` clusters are reused when their IR is unchanged (same fingerprint), so their pools and
 * DNS state carry over. Clusters of the previous version that are not reused must be stopped by the
 * caller once the swap is done.
 */
export function compileIR(
  ir: IR,
  version: string,
  registry: PoolRegistry,
  previous: Map<string, Cluster>,
  onEndpointsChange: () => void,
): CompiledIR {
  const clusters = new Map<string, Cluster>();
  for (const gw of ir.gateways) {
    for (const c of gw.clusters) {
      if (clusters.has(c.name)) continue;
      clusters.set(c.name, reuseOrCreate(c, registry, previous, onEndpointsChange));
    }
  }
  // Per port: each listener with the addresses of its Gateway (empty = every local address).
  const byPort = new Map<number, Entry[]>();
  const l4ByPort = new Map<number, Entry[]>();
  const udpByPort = new Map<number, Entry[]>();
  const unsupported: CompiledIR['unsupported'] = [];
  for (const gw of ir.gateways) {
    for (const l of gw.listeners) {
      const e = { l, addresses: gw.addresses };
      if (l.protocol === 'HTTP' || (l.protocol === 'HTTPS' && l.tls?.mode !== 'Passthrough')) push(byPort, e);
      else if (l.protocol === 'TCP' || l.protocol === 'TLS') push(l4ByPort, e);
      else if (l.protocol === 'UDP') push(udpByPort, e);
      else unsupported.push({ listener: l.name, port: l.port, reason: 'protocol ' + l.protocol + ' is not served' });
    }
  }
  // TCP-based listeners of different families on one port: only HTTPS + TLS can share it (by SNI).
  // The translator reports other mixes as conflicts; should one reach here, the layer-4 side loses.
  const mixed = new Set<number>();
  for (const [port, l4] of l4ByPort) {
    const http = byPort.get(port);
    if (http === undefined) continue;
    const shareable = http.every((e) => e.l.protocol === 'HTTPS') && l4.every((e) => e.l.protocol === 'TLS');
    if (shareable) {
      mixed.add(port);
      continue;
    }
    for (const e of l4) {
      unsupported.push({
        listener: e.l.name,
        port,
        reason: 'protocol ' + e.l.protocol + ' cannot share port ' + port + ' with HTTP listeners',
      });
    }
    l4ByPort.delete(port);
  }
  for (const [port, entries] of l4ByPort) {
    // TCP and TLS do not share a port (the translator rejects it); TCP listeners are then not served.
    const protocol = entries[0]!.l.protocol;
    for (const e of entries) {
      if (e.l.protocol === protocol) continue;
      unsupported.push({ listener: e.l.name, port, reason: 'protocols TCP and TLS cannot share port ' + port });
    }
    l4ByPort.set(
      port,
      entries.filter((e) => e.l.protocol === protocol),
    );
  }
  const ports = new Map<number, PortConfig>();
  for (const [port, entries] of byPort) {
    const listeners = entries.map((e) => e.l);
    const compiled = entries.map(
      (e) => [e.l.hostname, compileListener(e.l, clusters)] as [string | null, CompiledListener],
    );
    const g = groupByAddress(entries, compiled);
    let byAddress: Map<string, HostTable<CompiledListener>> | null = null;
    if (g.byAddress !== null) {
      byAddress = new Map();
      for (const [a, list] of g.byAddress) byAddress.set(a, compileHostTable(list));
    }
    let sniSplit: SNISplit | null = null;
    if (mixed.has(port)) {
      const all = [...entries, ...l4ByPort.get(port)!];
      const s = groupByAddress(
        all,
        all.map((e) => [e.l.hostname, e.l.protocol === 'TLS'] as [string | null, boolean]),
      );
      // An address with no HTTPS listener (only another Gateway's HTTPS shares the port number) sends
      // every name to the layer-4 side, which closes what its TLS listeners do not serve: a name
      // must never get another Gateway's certificate.
      const table = (list: [string | null, boolean][]): HostTable<boolean> =>
        compileHostTable(list.some((e) => !e[1]) ? list : [...list, [null, true]]);
      let split: Map<string, HostTable<boolean>> | null = null;
      if (s.byAddress !== null) {
        split = new Map();
        for (const [a, list] of s.byAddress) split.set(a, table(list));
      }
      sniSplit = { listeners: table(s.any), byAddress: split };
    }
    // Listeners sharing a port share its protocol (the translator rejects mixes); HTTPS wins if mixed.
    const https = listeners.some((l) => l.protocol === 'HTTPS');
    ports.set(port, {
      port,
      version,
      portLabel: 'port/' + port,
      listeners: compileHostTable(g.any),
      byAddress,
      protocol: https ? 'HTTPS' : 'HTTP',
      tls: https
        ? compilePortTLS(
            listeners,
            entries.map((e) => e.addresses),
          )
        : null,
      connectionLabel: listeners.length === 1 ? listeners[0]!.name : 'port/' + port,
      sniSplit,
    });
  }
  const l4 = new Map<number, L4PortPlan>();
  for (const [port, entries] of l4ByPort) l4.set(port, l4Plan(port, entries));
  const udp = new Map<number, L4PortPlan>();
  for (const [port, entries] of udpByPort) udp.set(port, l4Plan(port, entries));
  const clusterIRs = new Map<string, ClusterIR>();
  for (const gw of ir.gateways) for (const c of gw.clusters) if (!clusterIRs.has(c.name)) clusterIRs.set(c.name, c);
  return { ports, clusters, unsupported, l4, udp, clusterIRs };
}

function reuseOrCreate(
  c: ClusterIR,
  registry: PoolRegistry,
  previous: Map<string, Cluster>,
  onChange: () => void,
): Cluster {
  const fingerprint = JSON.stringify(c);
  const prev = previous.get(c.name);
  if (prev !== undefined && prev.fingerprint === fingerprint) return prev;
  return new Cluster(c, fingerprint, registry, onChange);
}
