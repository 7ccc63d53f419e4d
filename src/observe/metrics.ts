// Prometheus metrics for the data plane (via the DataPlaneObserver seam) and the control loop.
// Request-path series live in series.ts (cheap to update, rendered at scrape time); the rest are
// ordinary prom-client metrics.

import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { AccessRecord, DataPlaneObserver } from '../dataplane/observer.ts';
import { FastHistogram, RequestCounter, UpDownGauge } from './series.ts';

/** Seconds; spans a fast loopback hop (0.5 ms) to a slow upstream (30 s). */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

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

export function createMetrics(options: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  const registers = [registry];
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry });

  const requests = new RequestCounter(
    registry,
    'portunus_http_requests_total',
    'HTTP requests served, by listener, route, upstream cluster and response code class.',
  );
  const duration = new FastHistogram(
    registry,
    'portunus_http_request_duration_seconds',
    'Time from the request head being received to the response being sent.',
    ['listener', 'route'],
    LATENCY_BUCKETS,
  );
  const upstreamLatency = new FastHistogram(
    registry,
    'portunus_upstream_latency_seconds',
    'Time from the upstream request being sent to its first response byte.',
    ['cluster'],
    LATENCY_BUCKETS,
  );
  // A connection is accepted before Host/SNI picks among listeners sharing a port, so those are counted per port.
  const connections = new UpDownGauge(
    registry,
    'portunus_active_connections',
    'Open downstream connections per listener ("port/<n>" when several listeners share the port).',
    'listener',
  );
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

  const observer: DataPlaneObserver = {
    onRequestEnd(r: AccessRecord) {
      requests.inc(r.listener, r.route, r.upstreamCluster, r.responseCode);
      duration.observe(r.listener, r.route, r.durationMs / 1000);
      if (r.upstreamLatencyMs >= 0) upstreamLatency.observe(r.upstreamCluster, '', r.upstreamLatencyMs / 1000);
    },
    onConnectionOpen(listener: string) {
      connections.add(listener, 1);
    },
    onConnectionClose(listener: string) {
      connections.add(listener, -1);
    },
  };

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
