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
// worker 27-45 ms, 97.7 -> 63.2 MiB; the primary 60 ms, 270 -> 100 MiB), so it happens at most once
// per burst of changes, and not at all while changes leave memory about where it was (frequent
// small changes, as endpoint updates are). Each one is logged at debug level.
//
// A pause that long is for a process with nothing to do: in a worker under traffic it holds every
// request in flight (wrk -c50 through one worker: the 42 ms pause 5 s after startup put p99.9 at
// 34 ms and max at 45 ms, against 4 and 10 ms for nginx, and lifted p99 by about a fifth, since
// wrk counts the requests a stall kept it from sending). So the collection only runs when the event
// loop was busy for under BUSY_UTILIZATION of the quiet period before it; otherwise it waits
// another period, for as long as the traffic lasts. Memory stays where the changes left it until
// then (bounded: the pages are V8's pool, reused by the next allocations).

import v8 from 'node:v8';
import vm from 'node:vm';

/** A burst of configuration changes is over when none came for this long. */
export const QUIET_MS = 5_000;
/** Growth of the resident set since the last compaction that makes one worth its pause. */
export const GROWTH_BYTES = 16 * 1048576;
/**
 * Event-loop utilization (busy share of wall time) under which a quiet period counts as idle: about
 * 1,500 small proxied requests/s on one worker here, whose requests a 40 ms pause would delay.
 */
export const BUSY_UTILIZATION = 0.02;

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

export interface CompactionOptions {
  quietMs?: number;
  growthBytes?: number;
  busyUtilization?: number;
  /** The event loop's utilization since the previous call (0-1); tests pass their own. */
  utilization?: () => number;
}

/** Event-loop utilization since the previous call, from performance.eventLoopUtilization(). */
export function loopUtilizationMeter(): () => number {
  let last = performance.eventLoopUtilization();
  return () => {
    const now = performance.eventLoopUtilization();
    const u = performance.eventLoopUtilization(now, last).utilization;
    last = now;
    return u;
  };
}

/** `gc` comes from exposedGc(); without one, applied() does nothing and the process still serves. */
export function afterReloadCompaction(
  gc: GcFunction | undefined,
  log: CompactionLog,
  options: CompactionOptions = {},
): AfterReloadCompaction {
  const quietMs = options.quietMs ?? QUIET_MS;
  const growthBytes = options.growthBytes ?? GROWTH_BYTES;
  const busyLimit = options.busyUtilization ?? BUSY_UTILIZATION;
  const utilization = options.utilization ?? loopUtilizationMeter();
  let timer: NodeJS.Timeout | null = null;
  /** Resident set right after the last compaction; null before the first (startup's garbage counts). */
  let floor: number | null = null;
  /** Quiet periods this burst waited out because the loop was busy. */
  let deferred = 0;
  const schedule = (): void => {
    timer = setTimeout(run, quietMs);
    // A pending compaction never keeps a stopping process alive.
    timer.unref();
  };
  const run = (): void => {
    timer = null;
    const rssBefore = process.memoryUsage.rss();
    if (floor !== null && rssBefore - floor < growthBytes) return;
    const busy = utilization();
    if (busy >= busyLimit) {
      if (deferred++ === 0) {
        log.debug({ utilization: Math.round(busy * 1000) / 1000 }, 'memory compaction waits for an idle event loop');
      }
      schedule();
      return;
    }
    const started = performance.now();
    gc!({ type: 'major', execution: 'sync', flavor: 'last-resort' });
    const pauseMs = Math.round((performance.now() - started) * 10) / 10;
    const rssAfter = process.memoryUsage.rss();
    floor = rssAfter;
    log.debug(
      { pauseMs, rssBeforeMiB: mib(rssBefore), rssAfterMiB: mib(rssAfter), deferredPeriods: deferred },
      'memory compacted after configuration changes',
    );
    deferred = 0;
  };
  return {
    applied() {
      if (gc === undefined) return;
      if (timer !== null) clearTimeout(timer);
      // The quiet period is measured from here: applying the change itself is not traffic.
      utilization();
      schedule();
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
