// A worker process's metrics: the data plane's request-path series plus a few process figures,
// collected as plain data for the primary, which sums every worker's into its own exposition.
// prom-client is not loaded here: it would add about 10 MiB to every worker's memory.

import { memoryUsage } from 'node:process';
import type { DataPlaneObserver } from '../../dataplane/observer.ts';
import { createDataPlaneSeries } from '../../observe/dataplanemetrics.ts';
import type { CollectedMetric, RegisteredMetric } from '../../observe/series.ts';

export interface WorkerMetrics {
  readonly observer: DataPlaneObserver;
  collect(): CollectedMetric[];
}

function single(name: string, help: string, type: 'counter' | 'gauge', value: number): CollectedMetric {
  return { name, help, type, values: [{ labels: {}, value }], aggregator: 'sum' };
}

/**
 * The process series the primary's prom-client default metrics also have, under the same names,
 * so that the sum over all processes is what /metrics shows.
 */
function processMetrics(): CollectedMetric[] {
  const cpu = process.cpuUsage();
  const mem = memoryUsage();
  return [
    single('process_cpu_user_seconds_total', 'Total user CPU time spent in seconds.', 'counter', cpu.user / 1e6),
    single('process_cpu_system_seconds_total', 'Total system CPU time spent in seconds.', 'counter', cpu.system / 1e6),
    single(
      'process_cpu_seconds_total',
      'Total user and system CPU time spent in seconds.',
      'counter',
      (cpu.user + cpu.system) / 1e6,
    ),
    single('process_resident_memory_bytes', 'Resident memory size in bytes.', 'gauge', mem.rss),
    single('nodejs_heap_size_total_bytes', 'Process heap size from Node.js in bytes.', 'gauge', mem.heapTotal),
    single('nodejs_heap_size_used_bytes', 'Process heap size used from Node.js in bytes.', 'gauge', mem.heapUsed),
    single('nodejs_external_memory_bytes', 'Node.js external memory size in bytes.', 'gauge', mem.external),
  ];
}

export function createWorkerMetrics(): WorkerMetrics {
  const registered: RegisteredMetric[] = [];
  const observer = createDataPlaneSeries({ registerMetric: (m) => registered.push(m) });
  return {
    observer,
    collect: () => [...registered.map((m) => m.get()), ...processMetrics()],
  };
}
