// `portunus serve` wiring: file provider → control loop → in-process data plane, plus the admin
// server, access log and metrics around them. Everything here is assembly; the behaviour lives in
// loop.ts (reconcile), sources.ts (per-file last-good policy) and statusview.ts.

import { AggregatorRegistry } from 'prom-client';
import type { Logger as PinoLogger } from 'pino';
import { type AdminServer, startAdminServer } from '../admin/server.ts';
import type { LogSink } from '../observe/accesslog.ts';
import { type AccessLogFormat, createAccessLog, createMetrics, type Metrics } from '../observe/index.ts';
import { listManifestFiles } from '../provider/file/files.ts';
import { loadTexts } from '../provider/file/load.ts';
import { watchPaths } from '../provider/file/watch.ts';
import { afterReloadCompaction, exposedGc } from './compact.ts';
import { type ConfigTarget, type ControlLoop, createControlLoop, type Logger } from './loop.ts';
import { createSourceStore } from './sources.ts';
import { startRuntime, type Runtime } from './runtime.ts';

export type { ControlLoop } from './loop.ts';

export interface ServeOptions {
  /** Manifest files or directories (recursive). */
  paths: string[];
  controllerName: string;
  adminAddress: string;
  /** 0 picks a free port. */
  adminPort: number;
  accessLog: AccessLogFormat;
  /** Address the data plane listeners bind (default: the data plane's, all interfaces). */
  bindAddress?: string;
  /** Addresses handed out, one per Gateway that names none (translator option addressPool). */
  addressPool?: readonly string[];
  /** Quiet period after a file change before reloading. */
  debounceMs: number;
  /** How long in-flight requests may take to finish at shutdown. */
  drainMs: number;
  logger: PinoLogger;
  /** Access log destination; stdout when absent. Only with workers 0 (worker processes write to stdout). */
  accessLogSink?: LogSink;
  /**
   * Data plane worker processes sharing the listeners (SO_REUSEPORT). 0 serves from this process,
   * next to the control loop (tests and debugging).
   */
  workers: number;
  /** The log level worker processes use. */
  logLevel?: string;
}

export interface ServeHandle {
  readonly admin: AdminServer;
  readonly loop: ControlLoop;
  readonly metrics: Metrics;
  /** Stops watching, drains the data plane (bounded by drainMs), closes the admin server. */
  close(): Promise<void>;
}

/** A problem that prevents starting at all (exit status 1, message for the operator). */
export class StartupError extends Error {
  override name = 'StartupError';
}

export { createLogger } from './logging.ts';

export async function startServe(options: ServeOptions): Promise<ServeHandle> {
  const { logger } = options;
  const { missing } = await listManifestFiles(options.paths);
  if (missing.length > 0) throw new StartupError(missing.map((m) => m.message).join('; '));

  const metrics = createMetrics();
  const accessLog = createAccessLog({
    format: options.accessLog,
    ...(options.accessLogSink ? { sink: options.accessLogSink } : {}),
  });
  let runtime: Runtime;
  try {
    runtime = await startRuntime({
      workers: options.workers,
      ...(options.bindAddress ? { bindAddress: options.bindAddress } : {}),
      logger,
      accessLog,
      metrics,
      workerInit: { accessLog: options.accessLog, logLevel: options.logLevel ?? logger.level },
    });
  } catch (err) {
    throw new StartupError(`data plane workers cannot start: ${(err as Error).message}`);
  }

  // Translating a change leaves garbage in this process too: it is given back once changes stop.
  const compaction = afterReloadCompaction(exposedGc(), logger.child({ component: 'memory' }));
  const target: ConfigTarget = {
    async apply(ir, version) {
      const applied = await runtime.apply(ir, version);
      compaction.applied();
      return applied;
    },
  };
  const sources = createSourceStore(options.paths, (file, text) => loadTexts([{ file, text }]));
  const loop = createControlLoop({
    sources,
    target,
    controllerName: options.controllerName,
    translateOptions: {
      sharedAddressSpace: true,
      ...(options.bindAddress ? { defaultAddress: options.bindAddress } : {}),
      ...(options.addressPool ? { addressPool: options.addressPool } : {}),
    },
    logger: logger.child({ component: 'controller' }) as Logger,
    metrics,
  });

  let admin: AdminServer;
  try {
    admin = await startAdminServer({
      host: options.adminAddress,
      port: options.adminPort,
      source: {
        ready: () => loop.ready(),
        configDump: () => loop.configDump(),
        status: async () => {
          const workers = runtime.workers();
          return { ...loop.status(), listening: await runtime.listening(), ...(workers ? { workers } : {}) };
        },
      },
      metrics: {
        contentType: metrics.contentType,
        // Workers' series are summed into one exposition (per-process gauges too: RSS is the total).
        render: async () => {
          const fromWorkers = await runtime.workerMetrics();
          if (fromWorkers.length === 0) return metrics.render();
          const own = await metrics.registry.getMetricsAsJSON();
          return AggregatorRegistry.aggregate([own, ...fromWorkers]).metrics();
        },
      },
    });
  } catch (err) {
    await runtime.close(0);
    const e = err as NodeJS.ErrnoException;
    throw new StartupError(
      `admin server cannot listen on ${options.adminAddress}:${options.adminPort}: ${e.code ?? e.message}` +
        (e.code === 'EADDRINUSE' ? ' (another portunus running? use --admin-port, 0 for any free port)' : ''),
    );
  }
  logger.info({ url: admin.url }, 'admin server listening');

  // Watch before the first read so a change made while it runs is not missed.
  const stopWatching = watchPaths(options.paths, (changed) => void loop.reload(changed), {
    debounceMs: options.debounceMs,
    onError: (path, err) =>
      logger.warn({ path, err: err.message }, 'cannot watch path; changes to it are not picked up'),
  });
  await loop.reload();

  let closing: Promise<void> | null = null;
  return {
    admin,
    loop,
    metrics,
    close() {
      closing ??= (async () => {
        await stopWatching();
        await loop.close();
        compaction.cancel();
        logger.info({ graceMs: options.drainMs }, 'draining connections');
        await runtime.close(options.drainMs);
        await admin.close();
        accessLog.flush();
        logger.info({}, 'stopped');
      })();
      return closing;
    },
  };
}
