// Messages between the serve process (the primary: files, translator, admin server) and its data
// plane worker processes, over the IPC channel of child_process.fork with 'advanced'
// serialization (structured clone; the IR travels as one JSON string, serialised once for all
// workers, or as a delta from the one the worker holds: delta.ts).
//
// A new configuration goes to every worker at once; each parses, compiles and switches to it as
// soon as it has compiled it (the data plane swaps atomically per port), so workers switch within
// about one parse and compile of each other (2-3 ms at p50 with 1,000 routes). A separate commit
// round would narrow that window to one message, but measured it added 5-20 ms to the p99 time
// from a file change to traffic on the new configuration (reload benchmark, 1,000 HTTPRoutes, two
// workers: p99 51-67 vs 42-45 ms), and no request can see two versions either way: each is served
// by one worker. A worker that fails to apply a version the others serve is restarted (pool.ts).

import type { Registry } from 'prom-client';
import type { ApplyResult } from '../../dataplane/index.ts';
import type { AccessLogFormat } from '../../observe/accesslog.ts';
import type { TextDelta } from './delta.ts';

export interface WorkerInit {
  /** 1-based, stable across restarts of the same slot; shown in logs and /status. */
  id: number;
  accessLog: AccessLogFormat;
  bindAddress?: string;
  logLevel: string;
  /** TLS session ticket keys shared by all workers (48 bytes, base64), so sessions resume on any. */
  ticketKeys: string;
}

export type ToWorker =
  | { type: 'init'; init: WorkerInit }
  /** The IR as JSON (`ir`), or as a delta from the version the worker last applied (delta.ts). */
  | { type: 'apply'; seq: number; version: string; ir: string; delta?: never }
  | { type: 'apply'; seq: number; version: string; ir?: never; delta: TextDelta }
  | { type: 'metrics'; seq: number }
  | { type: 'listening'; seq: number }
  | { type: 'close'; seq: number; graceMs: number };

/** One registry's metrics as prom-client's getMetricsAsJSON() returns them (plain data). */
export type MetricsJSON = Awaited<ReturnType<Registry['getMetricsAsJSON']>>;

export type FromWorker =
  | { type: 'ready' }
  | { type: 'applied'; seq: number; result?: ApplyResult; error?: string }
  | { type: 'metrics'; seq: number; metrics: MetricsJSON }
  | { type: 'listening'; seq: number; listening: { port: number; protocol: string; address: string }[] }
  | { type: 'closed'; seq: number };
