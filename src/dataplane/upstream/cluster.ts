// Runtime clusters: the endpoint list a request chooses from, plus the shared pool registry.
// A cluster is rebuilt only when its IR changes; pools are keyed by endpoint and protocol and shared
// across clusters and config versions, so a config swap keeps upstream connections warm.
import net from 'node:net';
import type { ClusterIR } from '../../ir/types.ts';
import { DNS_REFRESH_MS, resolveAll } from './dns.ts';
import { H2Pool } from './h2pool.ts';
import { type LbState, lbKind, pickEndpoint } from './lb.ts';
import { type EndpointAddress, H1Pool, UPSTREAM_IDLE_TIMEOUT_MS } from './pool.ts';

export type Pool = H1Pool | H2Pool;

export class PoolRegistry {
  #pools = new Map<string, Pool>();
  // One coarse timer for the whole registry instead of one per connection.
  #sweeper: NodeJS.Timeout | null = null;

  #startSweeper(): void {
    if (this.#sweeper !== null) return;
    this.#sweeper = setInterval(() => {
      const cutoff = performance.now() - UPSTREAM_IDLE_TIMEOUT_MS;
      for (const p of this.#pools.values()) p.closeIdleBefore(cutoff);
    }, UPSTREAM_IDLE_TIMEOUT_MS / 4);
    this.#sweeper.unref();
  }

  get(protocol: string, address: EndpointAddress): Pool {
    const h2 = protocol === 'h2c' || protocol === 'h2';
    let key = (h2 ? 'h2|' : 'h1|') + (address.unixPath ?? address.host + '|' + address.port);
    if (address.tls !== undefined) key += '|tls|' + JSON.stringify(address.tls);
    let p = this.#pools.get(key);
    if (p === undefined) {
      p = h2 ? new H2Pool(address) : new H1Pool(address);
      this.#pools.set(key, p);
      this.#startSweeper();
    }
    return p;
  }

  /** Retires pools no live cluster uses any more. */
  sweep(live: Iterable<Cluster>): void {
    const used = new Set<Pool>();
    for (const c of live) for (const p of c.endpoints) used.add(p);
    for (const [key, p] of this.#pools) {
      if (!used.has(p)) {
        this.#pools.delete(key);
        p.retire();
      }
    }
  }

  destroyAll(): void {
    if (this.#sweeper !== null) clearInterval(this.#sweeper);
    this.#sweeper = null;
    for (const p of this.#pools.values()) p.destroyAll();
    this.#pools.clear();
  }
}

export class Cluster {
  readonly name: string;
  readonly ir: ClusterIR;
  /** JSON of the IR, to reuse the cluster across versions when nothing changed. */
  readonly fingerprint: string;
  readonly lb: number;
  readonly lbState: LbState = { next: 0 };
  readonly isWebSocket: boolean;
  readonly isH2: boolean;
  /** Ready endpoints (resolved for DNS clusters). Replaced, never mutated. */
  endpoints: readonly Pool[] = [];
  readonly #registry: PoolRegistry;
  #timer: NodeJS.Timeout | null = null;
  #stopped = false;
  #onChange: () => void;

  constructor(ir: ClusterIR, fingerprint: string, registry: PoolRegistry, onChange: () => void) {
    this.name = ir.name;
    this.ir = ir;
    this.fingerprint = fingerprint;
    this.lb = lbKind(ir.loadBalancer);
    this.isWebSocket = ir.protocol === 'ws';
    this.isH2 = ir.protocol === 'h2c' || ir.protocol === 'h2';
    this.#registry = registry;
    this.#onChange = onChange;
    const ready = ir.endpoints.filter((e) => e.ready);
    this.endpoints = ready.map((e) =>
      registry.get(ir.protocol, { host: e.address, port: e.port, unixPath: e.unixPath, tls: ir.tls }),
    );
    if (ir.discovery === 'dns' && ready.some((e) => e.unixPath === undefined && net.isIP(e.address) === 0)) {
      void this.#refresh();
      this.#timer = setInterval(() => void this.#refresh(), DNS_REFRESH_MS);
      this.#timer.unref();
    }
  }

  pick(): Pool | null {
    return pickEndpoint(this.lb, this.endpoints, this.lbState);
  }

  byLabel(label: string): Pool | null {
    const list = this.endpoints;
    for (let i = 0; i < list.length; i++) if (list[i]!.label === label) return list[i]!;
    return null;
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
  }

  async #refresh(): Promise<void> {
    const ir = this.ir;
    const next: Pool[] = [];
    for (const e of ir.endpoints) {
      if (!e.ready) continue;
      if (e.unixPath !== undefined || net.isIP(e.address) !== 0) {
        next.push(
          this.#registry.get(ir.protocol, { host: e.address, port: e.port, unixPath: e.unixPath, tls: ir.tls }),
        );
        continue;
      }
      let addresses: string[];
      try {
        addresses = await resolveAll(e.address);
      } catch {
        // Keep what we had for this name.
        for (const p of this.endpoints) if (p.address.host === e.address || p.resolvedFrom === e.address) next.push(p);
        continue;
      }
      for (const a of addresses) {
        const p = this.#registry.get(ir.protocol, { host: a, port: e.port, unixPath: undefined, tls: ir.tls });
        p.resolvedFrom = e.address;
        next.push(p);
      }
    }
    if (this.#stopped) return;
    this.endpoints = next;
    this.#onChange();
  }
}
