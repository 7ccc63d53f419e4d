// Gives memory back after a burst of configuration changes, in serve's workers and its primary.
// Each change is parsed and compiled in a worker, and the pages V8 freed afterwards stay committed
// in its page pool: 1,000 routes and 200 changes left a worker at 95-100 MiB RSS with 8 MiB of live
// heap, and it stayed there however long traffic went on. V8's own memory reducer would release
// them once the isolate is idle, but it judges idleness by the allocation rate sampled at the last
// collection, which a quiet process never refreshes, so it keeps postponing. The primary, which
// translates every change and builds status documents, held about 270 MiB for 19 MiB of live heap,
// most of it a young generation grown to V8's default maximum.
//
// So once no configuration has arrived for QUIET_MS and the process grew by GROWTH_BYTES or more
// since the last compaction, it runs one memory-reducing full collection itself (gc() with the
// last-resort flavor): it compacts the heap and releases the pool. That pauses the event loop (a
// worker 27-40 ms, 97.7 -> 63.2 MiB; the primary 60 ms, 270 -> 100 MiB), so it happens at most once
// per burst of changes, and not at all while changes leave memory about where it was (frequent
// small changes, as endpoint updates are). Each one is logged at debug level.

import v8 from 'node:v8';
import vm from 'node:vm';

/** A burst of configuration changes is over when none came for this long. */
export const QUIET_MS = 5_000;
/** Growth of the resident set since the last compaction that makes one worth its pause. */
export const GROWTH_BYTES = 16 * 1048576;

export type GcFunction = (options: { type: 'major'; execution: 'sync'; flavor: 'last-resort' }) => void;

export interface CompactionLog {
  debug(fields: object, msg: string): void;
}

export interface AfterReloadCompaction {
  /** Call after every applied configuration: (re)starts the quiet period. */
  applied(): void;
  /** Stops any pending compaction (the process is closing). */
  cancel(): void;
}

/** `gc` comes from exposedGc(); without one, applied() does nothing and the process still serves. */
export function afterReloadCompaction(
  gc: GcFunction | undefined,
  log: CompactionLog,
  quietMs = QUIET_MS,
  growthBytes = GROWTH_BYTES,
): AfterReloadCompaction {
  let timer: NodeJS.Timeout | null = null;
  /** Resident set right after the last compaction; null before the first (startup's garbage counts). */
  let floor: number | null = null;
  const run = (): void => {
    timer = null;
    const rssBefore = process.memoryUsage.rss();
    if (floor !== null && rssBefore - floor < growthBytes) return;
    const started = performance.now();
    gc!({ type: 'major', execution: 'sync', flavor: 'last-resort' });
    const pauseMs = Math.round((performance.now() - started) * 10) / 10;
    const rssAfter = process.memoryUsage.rss();
    floor = rssAfter;
    log.debug(
      { pauseMs, rssBeforeMiB: mib(rssBefore), rssAfterMiB: mib(rssAfter) },
      'memory compacted after configuration changes',
    );
  };
  return {
    applied() {
      if (gc === undefined) return;
      if (timer !== null) clearTimeout(timer);
      timer = setTimeout(run, quietMs);
      // A pending compaction never keeps a stopping process alive.
      timer.unref();
    },
    cancel() {
      if (timer !== null) clearTimeout(timer);
      timer = null;
    },
  };
}

function mib(bytes: number): number {
  return Math.round((bytes / 1048576) * 10) / 10;
}

/**
 * gc() for this process: the global one under --expose-gc (workers are started with it), otherwise
 * enabled now through the V8 flag and taken from a fresh context (the primary, started by whoever
 * runs serve; the function is the isolate's, so it collects this heap). undefined when neither works.
 */
export function exposedGc(): GcFunction | undefined {
  const global = (globalThis as { gc?: GcFunction }).gc;
  if (typeof global === 'function') return global;
  try {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as unknown;
    return typeof gc === 'function' ? (gc as GcFunction) : undefined;
  } catch {
    return undefined;
  }
}
