// Prometheus metrics for the data plane (via the DataPlaneObserver seam) and the control loop.
// prom-client resolves a label set to its child on every labels() call (hashing the values), so
// the hot path keeps its own map from a joined key to the already-resolved children.

import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { AccessRecord, DataPlaneObserver } from '../dataplane/observer.ts';

/** Seconds; spans a fast loopback hop (0.5 ms) to a slow upstream (30 s). */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** Children caches are cleared past this size so config churn cannot grow them without bound. */
const MAX_CACHED_CHILDREN = 10_000;

export interface ReloadOutcome {
  ok: boolean;
  /** Config version now serving (null before the first apply). */
  version: string | null;
  /** Epoch milliseconds. */
  time: number;
}

export interface Metrics {
  readonly registry: Registry;
  readonly observer: DataPlaneObserver;
  recordReload(outcome: ReloadOutcome): void;
  /** Prometheus text exposition of everything registered. */
  render(): Promise<string>;
  readonly contentType: string;
}

export interface MetricsOptions {
  /** Process metrics (CPU, RSS, event loop lag, GC). Off in unit tests that compare exact text. */
  processMetrics?: boolean;
}

interface RequestChildren {
  requests: { inc(): void };
}

const CODE_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'];

function codeClass(code: number): string {
  return CODE_CLASSES[Math.floor(code / 100) - 1] ?? 'other';
}

export function createMetrics(options: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  const registers = [registry];
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry });

  const requests = new Counter({
    name: 'portunus_http_requests_total',
    help: 'HTTP requests served, by listener, route, upstream cluster and response code class.',
    labelNames: ['listener', 'route', 'cluster', 'code_class'],
    registers,
  });
  const duration = new Histogram({
    name: 'portunus_http_request_duration_seconds',
    help: 'Time from the request head being received to the response being sent.',
    labelNames: ['listener', 'route'],
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const upstreamLatency = new Histogram({
    name: 'portunus_upstream_latency_seconds',
    help: 'Time from the upstream request being sent to its first response byte.',
    labelNames: ['cluster'],
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const connections = new Gauge({
    name: 'portunus_active_connections',
    // A connection is accepted before Host/SNI picks among listeners sharing a port, so those are counted per port.
    help: 'Open downstream connections per listener ("port/<n>" when several listeners share the port).',
    labelNames: ['listener'],
    registers,
  });
  const configInfo = new Gauge({
    name: 'portunus_config_info',
    help: 'The configuration version being served (value is always 1).',
    labelNames: ['version'],
    registers,
  });
  const reloads = new Counter({
    name: 'portunus_config_reloads_total',
    help: 'Configuration reloads attempted (initial load included).',
    registers,
  });
  const reloadErrors = new Counter({
    name: 'portunus_config_reload_errors_total',
    help: 'Reloads that could not apply the input as written (unparseable file, rejected resource, bind error).',
    registers,
  });
  const lastReload = new Gauge({
    name: 'portunus_config_last_reload_timestamp_seconds',
    help: 'Unix time of the last reload.',
    registers,
  });
  const lastReloadOk = new Gauge({
    name: 'portunus_config_last_reload_success',
    help: '1 when the last reload applied the input as written, else 0.',
    registers,
  });

  const requestChildren = new Map<string, RequestChildren>();
  const durationChildren = new Map<string, { observe(v: number): void }>();
  const upstreamChildren = new Map<string, { observe(v: number): void }>();
  const connectionChildren = new Map<string, { inc(): void; dec(): void }>();

  const observer: DataPlaneObserver = {
    onRequestEnd(r: AccessRecord) {
      const cls = codeClass(r.responseCode);
      const rk = `${r.listener}\0${r.route}\0${r.upstreamCluster}\0${cls}`;
      let rc = requestChildren.get(rk);
      if (rc === undefined) {
        if (requestChildren.size >= MAX_CACHED_CHILDREN) requestChildren.clear();
        rc = { requests: requests.labels(r.listener, r.route, r.upstreamCluster, cls) };
        requestChildren.set(rk, rc);
      }
      rc.requests.inc();

      const dk = `${r.listener}\0${r.route}`;
      let dc = durationChildren.get(dk);
      if (dc === undefined) {
        if (durationChildren.size >= MAX_CACHED_CHILDREN) durationChildren.clear();
        dc = duration.labels(r.listener, r.route);
        durationChildren.set(dk, dc);
      }
      dc.observe(r.durationMs / 1000);

      if (r.upstreamLatencyMs >= 0) {
        let uc = upstreamChildren.get(r.upstreamCluster);
        if (uc === undefined) {
          if (upstreamChildren.size >= MAX_CACHED_CHILDREN) upstreamChildren.clear();
          uc = upstreamLatency.labels(r.upstreamCluster);
          upstreamChildren.set(r.upstreamCluster, uc);
        }
        uc.observe(r.upstreamLatencyMs / 1000);
      }
    },
    onConnectionOpen(listener: string) {
      connectionChild(listener).inc();
    },
    onConnectionClose(listener: string) {
      connectionChild(listener).dec();
    },
  };

  function connectionChild(listener: string): { inc(): void; dec(): void } {
    let c = connectionChildren.get(listener);
    if (c === undefined) {
      // Never cleared: one entry per listener name ever seen, and the gauge must keep its value.
      c = connections.labels(listener);
      connectionChildren.set(listener, c);
    }
    return c;
  }

  return {
    registry,
    observer,
    contentType: registry.contentType,
    render: () => registry.metrics(),
    recordReload(outcome: ReloadOutcome) {
      reloads.inc();
      if (!outcome.ok) reloadErrors.inc();
      lastReload.set(outcome.time / 1000);
      lastReloadOk.set(outcome.ok ? 1 : 0);
      if (outcome.version !== null) {
        configInfo.reset();
        configInfo.labels(outcome.version).set(1);
      }
    },
  };
}

/** Fans one observer call out to several (access log and metrics). */
export function combineObservers(...observers: DataPlaneObserver[]): DataPlaneObserver {
  const list = observers.filter((o) => o !== undefined);
  if (list.length === 1) return list[0]!;
  return {
    onRequestEnd(record) {
      for (const o of list) o.onRequestEnd(record);
    },
    onConnectionOpen(listener) {
      for (const o of list) o.onConnectionOpen(listener);
    },
    onConnectionClose(listener) {
      for (const o of list) o.onConnectionClose(listener);
    },
  };
}
