// Layer-4 backends: weighted backendRef choice per connection (or UDP session), endpoint choice
// among ready endpoints, and endpoint state (open connections) that survives config versions so
// least-connections stays accurate across a swap.
import type { ClusterIR, L4BackendIR, L4RouteIR } from '../../ir/types.ts';
import { compileUpstreamTLS, type UpstreamTLS } from '../tls/upstream.ts';

export interface L4Endpoint {
  /** "cluster|host|port" or "cluster|unix:path"; stable across versions. */
  readonly key: string;
  readonly host: string;
  readonly port: number;
  readonly unixPath: string | undefined;
  /** "ip:port" (or the socket path) for access records. */
  readonly label: string;
  /** Connections or sessions currently using this endpoint. */
  active: number;
}

export interface L4Cluster {
  readonly name: string;
  readonly ir: ClusterIR;
  readonly endpoints: readonly L4Endpoint[];
  readonly lb: 'LeastConnections' | 'RoundRobin' | 'Random';
  /** null: plaintext towards the endpoints. */
  readonly tls: UpstreamTLS | null;
  /** Round-robin cursor. */
  next: number;
}

export interface L4Backend {
  /** null: invalid backendRef or unknown cluster; a connection chosen for it is closed. */
  readonly cluster: L4Cluster | null;
  /** The IR's cluster name, for access records. */
  readonly clusterName: string | null;
  readonly weight: number;
}

export interface L4Route {
  readonly route: string;
  readonly hostnames: readonly string[];
  /** Backends with weight > 0. */
  readonly backends: readonly L4Backend[];
  readonly totalWeight: number;
}

/**
 * Compiled clusters and the endpoint/TLS state carried from version to version. One registry per
 * L4 listener (TCP port or UDP port); `compile` is called once per config version.
 */
export class BackendRegistry {
  #endpoints = new Map<string, L4Endpoint>();
  #tls = new Map<string, UpstreamTLS>();
  #clusters = new Map<string, L4Cluster>();

  /** Compiles `clusters` for a new version, reusing endpoint objects and TLS contexts by key. */
  compile(clusters: Map<string, ClusterIR>): void {
    const endpoints = new Map<string, L4Endpoint>();
    const tlsCache = new Map<string, UpstreamTLS>();
    const out = new Map<string, L4Cluster>();
    for (const [name, c] of clusters) {
      const list: L4Endpoint[] = [];
      for (const e of c.endpoints) {
        if (!e.ready) continue;
        const key = e.unixPath !== undefined ? name + '|unix:' + e.unixPath : name + '|' + e.address + '|' + e.port;
        let ep = endpoints.get(key) ?? this.#endpoints.get(key);
        if (ep === undefined) {
          ep = {
            key,
            host: e.address,
            port: e.port,
            unixPath: e.unixPath,
            label: e.unixPath ?? (e.address.includes(':') ? '[' + e.address + ']' : e.address) + ':' + e.port,
            active: 0,
          };
        }
        if (!endpoints.has(key)) list.push(ep);
        endpoints.set(key, ep);
      }
      let upstreamTLS: UpstreamTLS | null = null;
      if (c.tls !== undefined) {
        const fp = JSON.stringify(c.tls);
        upstreamTLS = tlsCache.get(fp) ?? this.#tls.get(fp) ?? compileUpstreamTLS(c.tls);
        tlsCache.set(fp, upstreamTLS);
      }
      out.set(name, {
        name,
        ir: c,
        endpoints: list,
        lb:
          c.loadBalancer === 'RoundRobin' ? 'RoundRobin' : c.loadBalancer === 'Random' ? 'Random' : 'LeastConnections',
        tls: upstreamTLS,
        next: this.#clusters.get(name)?.next ?? 0,
      });
    }
    this.#endpoints = endpoints;
    this.#tls = tlsCache;
    this.#clusters = out;
  }

  cluster(name: string): L4Cluster | null {
    return this.#clusters.get(name) ?? null;
  }

  /** Whether an endpoint (by key) is still part of the current version. */
  hasEndpoint(key: string): boolean {
    return this.#endpoints.has(key);
  }

  compileRoute(r: L4RouteIR): L4Route {
    const backends: L4Backend[] = [];
    let totalWeight = 0;
    for (const b of r.backends as L4BackendIR[]) {
      if (!(b.weight > 0)) continue;
      backends.push({
        cluster: b.cluster === null ? null : this.cluster(b.cluster),
        clusterName: b.cluster,
        weight: b.weight,
      });
      totalWeight += b.weight;
    }
    return { route: r.route, hostnames: r.hostnames, backends, totalWeight };
  }
}

/** Weighted random choice; null when the route has no backend with weight. */
export function pickBackend(route: L4Route, random: () => number = Math.random): L4Backend | null {
  const list = route.backends;
  if (list.length === 0) return null;
  if (list.length === 1) return list[0]!;
  let x = random() * route.totalWeight;
  for (const b of list) {
    x -= b.weight;
    if (x < 0) return b;
  }
  return list[list.length - 1]!;
}

/** Endpoint choice among the cluster's ready endpoints; null when there are none. */
export function pickEndpoint(c: L4Cluster): L4Endpoint | null {
  const list = c.endpoints;
  const n = list.length;
  if (n === 0) return null;
  if (n === 1) return list[0]!;
  if (c.lb === 'Random') return list[(Math.random() * n) | 0]!;
  const start = c.next % n;
  c.next = (start + 1) % n;
  if (c.lb === 'RoundRobin') return list[start]!;
  // Least connections; ties go to the round-robin position so equal endpoints share the load.
  let best = list[start]!;
  for (let i = 1; i < n; i++) {
    const e = list[(start + i) % n]!;
    if (e.active < best.active) best = e;
  }
  return best;
}
