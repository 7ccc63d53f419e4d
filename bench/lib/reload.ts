// Reload latency: Portunus serving N HTTPRoutes (one file each); one route's file gets a new
// response header value, and a keep-alive client polls that route about every millisecond until
// a response carries the new value. The time from the start of the write to that response is
// one sample. The file is either rewritten in place (same inode, like `cat > file`) or replaced
// by writing a dot-file and renaming it over the original (as editors and config-map volume
// updates do). Every wait is bounded; after 3 changes in a row that are never seen, it stops.

import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { percentile } from './load.ts';
import { gatewayManifests, routeManifest, routeName, startPortunus, workerPids } from './portunus.ts';
import { exitReason, freePort, largestWorker, processTree, rssBytes, sleep, waitFor } from './proc.ts';
import type { RunContext } from './types.ts';

export interface ReloadOptions {
  routes: number;
  iterations: number;
  /** --reload-debounce passed to serve; null keeps serve's default. */
  debounceMs: number | null;
  /** How the file is changed. */
  write: ReloadWrite;
  /** Give up on one change after this long (counted as a timeout). */
  changeTimeoutMs?: number;
}

export type ReloadWrite = 'inplace' | 'rename';
export const RELOAD_WRITES: readonly ReloadWrite[] = ['inplace', 'rename'];

const MAX_CONSECUTIVE_TIMEOUTS = 3;

export interface ReloadResult {
  routes: number;
  iterations: number;
  debounceMs: number | null;
  write: ReloadWrite;
  /** Changes made (fewer than iterations when it gave up after repeated timeouts). */
  changes: number;
  /** Process start until the last route answers. */
  startupMs: number;
  samplesMs: number[];
  timeouts: number;
  p50Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
  /**
   * Reconciles serve logged after startup ("configuration applied"): how many (more than the
   * changes means a change was applied in two steps) and their median duration.
   */
  reconciles: number;
  reconcileP50Ms: number | null;
  /** RSS after the changes, MiB, summed over serve's processes (primary and workers). */
  rssMiB: number;
  /** The largest worker process (per-worker footprint with this many routes), MiB. */
  rssWorkerMiB: number;
  /** Private memory of that worker (proc.ts privateBytes), MiB. */
  privateWorkerMiB?: number;
  processes: number;
  /**
   * The same memory figures QUIET_MEASURE_MS after the last change: serve's workers give back what
   * a burst of changes left behind once changes stop (src/serve/compact.ts).
   */
  quiet?: { afterMs: number; rssMiB: number; rssWorkerMiB: number; privateWorkerMiB?: number };
  /** With --reload-rounds: every round's p99 in measurement order (this result is the median one). */
  roundsP99Ms?: (number | null)[];
}

/**
 * How long after the last change memory is measured again: serve's workers compact 5 s after the
 * last configuration they received (QUIET_MS in src/serve/compact.ts), plus margin.
 */
export const QUIET_MEASURE_MS = 7_000;

/**
 * The round with the median p99 (the lower middle for an even count), carrying every round's p99;
 * a round with timeouts sorts last. null when no round finished.
 */
export function medianReloadRound(rounds: ReloadResult[]): ReloadResult | null {
  if (rounds.length === 0) return null;
  const key = (r: ReloadResult) => (r.timeouts > 0 || r.p99Ms === null ? Number.POSITIVE_INFINITY : r.p99Ms);
  const sorted = [...rounds].sort((a, b) => key(a) - key(b));
  const chosen = sorted[(sorted.length - 1) >> 1]!;
  return rounds.length === 1 ? chosen : { ...chosen, roundsP99Ms: rounds.map((r) => r.p99Ms) };
}

const HEADER = 'x-bench-generation';

interface Reply {
  status: number;
  marker: string | undefined;
}

function get(agent: http.Agent, port: number, path: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent, timeout: 2000 }, (res) => {
      res.resume();
      res.on('end', () => {
        const v = res.headers[HEADER];
        resolve({ status: res.statusCode ?? 0, marker: Array.isArray(v) ? v[0] : v });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
  });
}

export async function measureReload(ctx: RunContext, o: ReloadOptions): Promise<ReloadResult> {
  const changeTimeoutMs = o.changeTimeoutMs ?? 5000;
  const label = `${o.write}-${o.debounceMs ?? 'default'}`;
  const dir = join(ctx.dir, `reload-${label}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'routes'), { recursive: true });
  const port = await freePort();
  writeFileSync(join(dir, 'gateway.yaml'), gatewayManifests({ port, upstreamPort: ctx.upstreamPort }));
  const route = (i: number, marker?: string) =>
    routeManifest({
      name: routeName(i),
      match: { type: 'PathPrefix', value: `/route-${i}` },
      ...(marker ? { responseHeader: { name: HEADER, value: marker } } : {}),
    });
  for (let i = 0; i < o.routes; i++) writeFileSync(join(dir, 'routes', `${routeName(i)}.yaml`), route(i));

  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const t0 = performance.now();
  // Info level: serve logs each applied configuration with its reconcile time.
  const extra = ['--log-level', 'info', ...(o.debounceMs === null ? [] : ['--reload-debounce', String(o.debounceMs)])];
  const p = await startPortunus(ctx, dir, extra, `portunus-reload-${label}`);
  try {
    const last = `/route-${o.routes - 1}`;
    await waitFor(
      `portunus to serve ${last} (log: ${p.started.logFile})`,
      async () => (await get(agent, port, last)).status === 200,
      60_000,
      5,
      exitReason(p.started),
    );
    const startupMs = performance.now() - t0;

    const target = Math.floor(o.routes / 2);
    const file = join(dir, 'routes', `${routeName(target)}.yaml`);
    const tmp = join(dir, 'routes', `.${routeName(target)}.yaml.tmp`);
    const path = `/route-${target}/x`;
    const settleMs = Math.max(50, (o.debounceMs ?? 100) + 50);
    const samples: number[] = [];
    let timeouts = 0;
    let inARow = 0;
    let changes = 0;
    for (let gen = 1; gen <= o.iterations && inARow < MAX_CONSECUTIVE_TIMEOUTS; gen++) {
      const marker = `g${gen}`;
      const start = performance.now();
      changes++;
      if (o.write === 'rename') {
        writeFileSync(tmp, route(target, marker));
        renameSync(tmp, file);
      } else writeFileSync(file, route(target, marker));
      for (;;) {
        let reply: Reply | null = null;
        try {
          reply = await get(agent, port, path);
        } catch {
          // A connection closed by a swap is retried on a new one.
        }
        const elapsed = performance.now() - start;
        if (reply?.marker === marker) {
          samples.push(elapsed);
          inARow = 0;
          break;
        }
        if (elapsed > changeTimeoutMs) {
          timeouts++;
          inARow++;
          break;
        }
        await sleep(1);
      }
      // Let trailing file events and their reloads finish before the next change.
      await sleep(settleMs);
    }
    const sorted = Float64Array.from(samples).sort();
    const reconcileMs = appliedDurations(readFileSync(p.started.logFile, 'utf8')).slice(1);
    const reconcileSorted = Float64Array.from(reconcileMs).sort();
    const { processes, ...memory } = treeMemory(p.started.pid);
    await sleep(QUIET_MEASURE_MS);
    const { processes: _, ...quietMemory } = treeMemory(p.started.pid);
    return {
      routes: o.routes,
      iterations: o.iterations,
      debounceMs: o.debounceMs,
      write: o.write,
      changes,
      startupMs,
      samplesMs: samples.map((s) => Math.round(s * 100) / 100),
      timeouts,
      p50Ms: sorted.length ? percentile(sorted, 0.5) : null,
      p99Ms: sorted.length ? percentile(sorted, 0.99) : null,
      maxMs: sorted.length ? sorted[sorted.length - 1]! : null,
      reconciles: reconcileMs.length,
      reconcileP50Ms: reconcileSorted.length ? percentile(reconcileSorted, 0.5) : null,
      ...memory,
      processes,
      quiet: { afterMs: QUIET_MEASURE_MS, ...quietMemory },
    };
  } finally {
    agent.destroy();
    await p.started.stop();
  }
}

/** RSS of serve's whole process tree and the figures of its largest worker, now. */
function treeMemory(pid: number) {
  const rssEach = processTree(pid).map(rssBytes);
  return {
    rssMiB: rssEach.reduce((a, b) => a + b, 0) / 1048576,
    ...largestWorker(workerPids(pid)),
    processes: rssEach.filter((b) => b > 0).length,
  };
}

/** durationMs of every "configuration applied" line in serve's JSON log, in order. */
export function appliedDurations(log: string): number[] {
  const out: number[] = [];
  for (const line of log.split('\n')) {
    if (!line.includes('"configuration applied"')) continue;
    try {
      const d = (JSON.parse(line) as { durationMs?: unknown }).durationMs;
      if (typeof d === 'number') out.push(d);
    } catch {
      // Not a JSON line.
    }
  }
  return out;
}
