// Prometheus metrics for the data plane (via the DataPlaneObserver seam) and the control loop.
// Request-path series live in dataplanemetrics.ts / series.ts (cheap to update, rendered at scrape
// time); the rest are ordinary prom-client metrics.

import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { DataPlaneObserver } from '../dataplane/observer.ts';
import { createDataPlaneSeries } from './dataplanemetrics.ts';

export { combineObservers } from './combine.ts';

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

  // prom-client reads a registered metric through get(); our series provide exactly that.
  const observer = createDataPlaneSeries({
    registerMetric: (m) => registry.registerMetric(m as unknown as Parameters<Registry['registerMetric']>[0]),
  });

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
