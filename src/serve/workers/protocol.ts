// Messages between the serve process (the primary: files, translator, admin server) and its data
// plane worker processes, over the IPC channel of child_process.fork with 'advanced'
// serialization (structured clone; the IR travels as one JSON string, serialised once for all
// workers).
//
// A new configuration reaches the workers in two phases so that they swap together: every worker
// parses and compiles it (prepare → prepared), and only when all have done so does each serve it
// (commit → applied). The window in which workers differ is one small message, not a compile.

import type { Registry } from 'prom-client';
import type { ApplyResult } from '../../dataplane/index.ts';
import type { AccessLogFormat } from '../../observe/accesslog.ts';

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
  | { type: 'prepare'; seq: number; version: string; ir: string }
  | { type: 'commit'; seq: number; version: string }
  | { type: 'abort'; seq: number }
  | { type: 'metrics'; seq: number }
  | { type: 'listening'; seq: number }
  | { type: 'close'; seq: number; graceMs: number };

/** One registry's metrics as prom-client's getMetricsAsJSON() returns them (plain data). */
export type MetricsJSON = Awaited<ReturnType<Registry['getMetricsAsJSON']>>;

export type FromWorker =
  | { type: 'ready' }
  | { type: 'prepared'; seq: number; error?: string }
  | { type: 'applied'; seq: number; result?: ApplyResult; error?: string }
  | { type: 'metrics'; seq: number; metrics: MetricsJSON }
  | { type: 'listening'; seq: number; listening: { port: number; protocol: string; address: string }[] }
  | { type: 'closed'; seq: number };
