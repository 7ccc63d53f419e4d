// A data plane worker process: serves the configurations the primary sends (see protocol.ts) on
// SO_REUSEPORT listeners shared with its sibling workers, and writes its own access log lines to
// the stdout it inherits. It never reads manifests or translates: it holds the data plane only,
// which keeps its memory small and keeps translation off its event loop.

import { createDataPlane } from '../../dataplane/index.ts';
import type { IR } from '../../ir/types.ts';
import { createAccessLog } from '../../observe/accesslog.ts';
import { observeWith } from '../../observe/combine.ts';
import { afterReloadCompaction, exposedGc } from '../compact.ts';
import { applyTextDelta } from './delta.ts';
import { createLineLogger } from './log.ts';
import { createWorkerMetrics } from './metrics.ts';
import type { FromWorker, MetricsJSON, ToWorker, WorkerInit } from './protocol.ts';
import { lineAtomicSink } from './sink.ts';

function send(message: FromWorker): void {
  // The channel closes when the primary exits; that case is handled by 'disconnect'.
  if (process.connected) process.send!(message);
}

let initialized = false;

function run(init: WorkerInit): void {
  initialized = true;
  const logger = createLineLogger(init.logLevel, { worker: init.id });
  const metrics = createWorkerMetrics();
  const accessLog = createAccessLog({ format: init.accessLog, sink: lineAtomicSink(process.stdout) });
  const dpLog = logger.child({ component: 'dataplane' });
  const dataPlane = createDataPlane({
    observer: observeWith(accessLog, metrics.observer),
    ...(init.bindAddress ? { bindAddress: init.bindAddress } : {}),
    ticketKeys: Buffer.from(init.ticketKeys, 'base64'),
    // The data plane logs as (message, fields).
    logger: {
      info: (msg, fields) => dpLog.info(fields ?? {}, msg),
      warn: (msg, fields) => dpLog.warn(fields ?? {}, msg),
      error: (msg, fields) => dpLog.error(fields ?? {}, msg),
    },
  });
  let closing = false;
  const compaction = afterReloadCompaction(exposedGc(), logger.child({ component: 'memory' }));
  /** The configuration text last applied: the base of the next delta (delta.ts). */
  let held: { version: string; text: string } | null = null;

  const close = async (graceMs: number): Promise<void> => {
    if (closing) return;
    closing = true;
    compaction.cancel();
    await dataPlane.close({ graceMs });
    accessLog.flush();
  };

  process.on('message', (m: ToWorker) => {
    switch (m.type) {
      case 'apply': {
        let ir: IR;
        let text: string;
        try {
          text = m.delta === undefined ? m.ir : applyTextDelta(held, m.delta);
          ir = JSON.parse(text) as IR;
        } catch (err) {
          send({ type: 'applied', seq: m.seq, error: (err as Error).message });
          return;
        }
        dataPlane.apply(ir, m.version).then(
          (result) => {
            held = { version: m.version, text };
            send({ type: 'applied', seq: m.seq, result });
            compaction.applied();
          },
          (err: Error) => send({ type: 'applied', seq: m.seq, error: err.message }),
        );
        return;
      }
      case 'metrics':
        send({ type: 'metrics', seq: m.seq, metrics: metrics.collect() as unknown as MetricsJSON });
        return;
      case 'listening':
        send({ type: 'listening', seq: m.seq, listening: dataPlane.listening() });
        return;
      case 'close':
        void close(m.graceMs).then(() => {
          send({ type: 'closed', seq: m.seq });
          process.disconnect();
          // Handles left open (a slow upstream socket) must not keep a stopped worker alive.
          setTimeout(() => process.exit(0), 500).unref();
        });
        return;
      case 'init':
        return;
    }
  });

  // The primary is gone (crashed or killed): nobody will send configurations or collect metrics,
  // so finish what is in flight briefly and exit rather than serve an orphaned, frozen config.
  process.on('disconnect', () => {
    if (closing) return;
    logger.warn({}, 'primary process gone; worker exiting');
    void close(1_000).then(() => process.exit(0));
  });
  // Ctrl-C reaches the whole process group; the primary coordinates the drain.
  process.on('SIGINT', () => {});
  process.on('SIGTERM', () => {
    logger.info({ signal: 'SIGTERM' }, 'worker stopping');
    void close(5_000).then(() => process.exit(0));
  });
}

if (process.send === undefined) {
  process.stderr.write('portunus worker: must be started by `portunus serve --workers N`\n');
  process.exit(2);
}
process.once('message', (m: ToWorker) => {
  if (m.type === 'init') run(m.init);
});
// Before init nothing is served; a primary gone this early leaves nothing to finish.
process.once('disconnect', () => {
  if (!initialized) process.exit(0);
});
// The primary sends init (and then configurations) only after this.
send({ type: 'ready' });
