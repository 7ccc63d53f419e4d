// Where serve's data plane runs: in this process next to the control loop (workers 0), or in N
// worker processes sharing the listeners through SO_REUSEPORT. Both look the same to the control
// loop (apply) and to the admin server (listening, metrics, workers).

import type { Logger as PinoLogger } from 'pino';
import { createDataPlane } from '../dataplane/index.ts';
import type { AccessLog } from '../observe/accesslog.ts';
import { createObserver, type Metrics } from '../observe/index.ts';
import { dataPlaneLogger } from './logging.ts';
import type { ConfigTarget } from './loop.ts';
import { createWorkerPool, type WorkerInfo } from './workers/pool.ts';
import type { MetricsJSON, WorkerInit } from './workers/protocol.ts';

export interface Runtime extends ConfigTarget {
  listening(): Promise<{ port: number; protocol: string; address: string }[]>;
  /** The data plane's metrics when it runs elsewhere (one entry per worker); [] in process. */
  workerMetrics(): Promise<MetricsJSON[]>;
  /** Worker processes and their state; null when the data plane runs in this process. */
  workers(): WorkerInfo[] | null;
  close(graceMs: number): Promise<void>;
}

export interface RuntimeOptions {
  workers: number;
  bindAddress?: string;
  logger: PinoLogger;
  /** In process: where the data plane reports. */
  accessLog: AccessLog;
  metrics: Metrics;
  /** Worker processes: how they log. */
  workerInit: Omit<WorkerInit, 'id' | 'bindAddress' | 'ticketKeys'>;
}

export async function startRuntime(options: RuntimeOptions): Promise<Runtime> {
  if (options.workers === 0) {
    const dataPlane = createDataPlane({
      observer: createObserver(options.accessLog, options.metrics),
      ...(options.bindAddress ? { bindAddress: options.bindAddress } : {}),
      logger: dataPlaneLogger(options.logger.child({ component: 'dataplane' })),
    });
    return {
      apply: (ir, version) => dataPlane.apply(ir, version),
      listening: async () => dataPlane.listening(),
      workerMetrics: async () => [],
      workers: () => null,
      close: (graceMs) => dataPlane.close({ graceMs }),
    };
  }
  const pool = createWorkerPool({
    count: options.workers,
    init: { ...options.workerInit, ...(options.bindAddress ? { bindAddress: options.bindAddress } : {}) },
    logger: options.logger.child({ component: 'workers' }),
  });
  await pool.start();
  return {
    apply: (ir, version) => pool.apply(ir, version),
    listening: () => pool.listening(),
    workerMetrics: () => pool.metrics(),
    workers: () => pool.info(),
    close: (graceMs) => pool.close(graceMs),
  };
}
