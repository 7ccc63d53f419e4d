// The primary's side of `portunus serve --workers N`: forks N data plane worker processes, gives
// every configuration to all of them at once (see protocol.ts for why one round, not two),
// restarts a worker that dies and brings it up to the current configuration before it accepts
// connections, and collects metrics and listener state from them for the admin server.

import { type ChildProcess, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { ApplyResult, ListenerError } from '../../dataplane/index.ts';
import type { IR } from '../../ir/types.ts';
import type { Logger } from '../loop.ts';
import { textDelta } from './delta.ts';
import type { FromWorker, MetricsJSON, ToWorker, WorkerInit } from './protocol.ts';

export interface WorkerPoolOptions {
  count: number;
  init: Omit<WorkerInit, 'id' | 'ticketKeys'>;
  logger: Logger;
  /** Delay before restarting a worker that died: first and cap, ms (doubles while it keeps dying). */
  restartMs?: { initial: number; max: number };
  /**
   * How long a worker may take to apply a configuration before it is considered hung
   * (killed and restarted; the others go ahead without it). Default 10 s.
   */
  replyTimeoutMs?: number;
}

export interface WorkerInfo {
  id: number;
  pid: number | null;
  /** starting: forked, not serving yet; serving: has the current configuration; restarting: dead, waiting. */
  state: 'starting' | 'serving' | 'restarting' | 'stopped';
  version: string | null;
  restarts: number;
}

export interface WorkerPool {
  /** Resolves when every worker has started (rejects if one cannot). */
  start(): Promise<void>;
  /** Gives a new configuration to every worker; resolves when they have switched to it. */
  apply(ir: IR, version: string): Promise<ApplyResult>;
  /** Metrics of every serving worker (a worker that does not answer in time is left out). */
  metrics(): Promise<MetricsJSON[]>;
  listening(): Promise<{ port: number; protocol: string; address: string }[]>;
  info(): WorkerInfo[];
  /** Drains every worker (bounded by graceMs) and waits for them to exit. */
  close(graceMs: number): Promise<void>;
}

interface Slot {
  readonly id: number;
  child: ChildProcess | null;
  /** The child said it is ready for init (messages sent before that would be lost). */
  started: boolean;
  state: WorkerInfo['state'];
  version: string | null;
  /** The configuration text this worker last applied (the base of the next delta), null: none. */
  applied: { version: string; text: string } | null;
  restarts: number;
  startedAt: number;
  backoff: number;
  restartTimer: NodeJS.Timeout | null;
  /** Replies awaited from this worker, by `${type}:${seq}`; resolved with null if it dies. */
  readonly waiting: Map<string, (m: FromWorker | null) => void>;
}

const WORKER_MODULE = new URL(`./worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);
/**
 * V8's young generation grows with the allocation rate (up to 64 MiB per semi-space here), and a
 * worker compiling configurations keeps it grown: 1,000 routes and 300 reloads took a worker from
 * 65 to 180 MiB RSS, still climbing. The cap trades memory against reload latency, since a new
 * configuration is parsed and compiled in the young generation. Measured with the reload benchmark
 * (1,000 HTTPRoutes, 200 changes, quiet machine, p99 / RSS per worker after): no cap 47-55 ms /
 * 145-151 MiB; 8 MiB 50-55 ms / 117-121 MiB; 4 MiB 55-64 ms / 114-119 MiB. Proxying costs the
 * same CPU per request with any of them (wrk -c50, side by side).
 * Since workers receive configuration deltas, reloads allocate less: with the delta path, 4 MiB and
 * one V8 helper thread (--v8-pool-size=1; Node's default 4 threads each keep a malloc arena)
 * against 8 MiB and the default pool, same machine one after the other (npm run bench:http --
 * --only portunus --scenarios get-keepalive,regex-1000,reload --reload-debounce default
 * --reload-rounds 3): reload p99 39.7 vs 41.7 ms, RSS per worker 83.0 vs 88.5 MiB after the
 * regex-1000 load and 98.4 vs 118.5 MiB after 200 changes; CPU per request the same within noise
 * (interleaved wrk -c50 runs, 2.02-2.04 vs 2.06-2.17 s per 100k on a busy machine); h2c through
 * h2load -c10 -m5, which allocates more per request, 1-5% more CPU and 1% fewer requests/s.
 * Workers run without V8's mid-tier optimizing compiler (--no-maglev: functions go from the
 * baseline compiler straight to TurboFan). Maglev's background compiles left about 8 MiB of freed
 * compiler memory in the helper thread's malloc arena. Same benchmark one after the other: RSS per
 * worker 73.6 vs 82.0 MiB after the regex-1000 load, 96-101 vs 103.5 MiB after 200 changes;
 * reload p99 40-45 vs 42 ms; CPU per request equal (interleaved wrk -c50 runs, 2.06-2.11 vs
 * 2.03-2.17 s per 100k; h2c through h2load 4.67-5.33 vs 4.81-5.36, RSS 127 vs 146 MiB); p99 over
 * the first 2 s of full load after start 5.3-6.3 vs 4.3-7.2 ms.
 * Moving those compiles to the main thread instead (--no-concurrent-recompilation) saved as much
 * but tripled that warm-up p99 (19-22 ms).
 * --expose-gc lets a worker compact its heap once a burst of configuration changes is over
 * (../compact.ts).
 */
const WORKER_V8_FLAGS = ['--max-semi-space-size=4', '--v8-pool-size=1', '--no-maglev', '--expose-gc'];
/** A worker that lived this long before dying is restarted without backoff from earlier crashes. */
const STABLE_MS = 10_000;
/** Starting a process and loading the data plane; generous for slow disks and busy machines. */
const START_TIMEOUT_MS = 30_000;
/** Metrics and listener queries: a worker busy for longer is left out of that answer. */
const SCRAPE_TIMEOUT_MS = 2_000;

export function createWorkerPool(options: WorkerPoolOptions): WorkerPool {
  const { logger } = options;
  const restart = options.restartMs ?? { initial: 100, max: 10_000 };
  const replyTimeoutMs = options.replyTimeoutMs ?? 10_000;
  // One set for the life of the pool: restarted workers resume the sessions the others issued.
  const ticketKeys = randomBytes(48).toString('base64');
  const slots: Slot[] = [];
  for (let id = 1; id <= options.count; id++) {
    slots.push({
      id,
      child: null,
      started: false,
      state: 'starting',
      version: null,
      applied: null,
      restarts: 0,
      startedAt: 0,
      backoff: restart.initial,
      restartTimer: null,
      waiting: new Map(),
    });
  }
  let seq = 0;
  let closing = false;
  /** The configuration every worker should serve: a restarted worker is brought up to it. */
  let current: { json: string; version: string } | null = null;
  // Swaps (and catch-ups of restarted workers) run one at a time, in order.
  let chain: Promise<unknown> = Promise.resolve();
  const serialized = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = chain.then(fn);
    chain = run.catch(() => {});
    return run;
  };

  function send(slot: Slot, message: ToWorker): boolean {
    const child = slot.child;
    if (child === null || !child.connected) return false;
    try {
      child.send(message);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Sends and awaits the reply of `replyType` with the same seq; null if the worker died or did
   * not answer in time. A worker that does not answer a configuration change is hung and is
   * killed (and restarted); one slow to answer a metrics scrape is only left out of it.
   */
  function request(slot: Slot, message: ToWorker & { seq: number }, replyType: FromWorker['type']) {
    const config = message.type === 'apply';
    return new Promise<FromWorker | null>((resolve) => {
      const key = `${replyType}:${message.seq}`;
      const timer = setTimeout(
        () => {
          slot.waiting.delete(key);
          if (config) {
            logger.error(
              { worker: slot.id, workerPid: slot.child?.pid, request: message.type },
              'worker hung; killing it',
            );
            slot.child?.kill('SIGKILL');
          }
          resolve(null);
        },
        config ? replyTimeoutMs : SCRAPE_TIMEOUT_MS,
      );
      slot.waiting.set(key, (m) => {
        clearTimeout(timer);
        resolve(m);
      });
      if (!send(slot, message)) {
        clearTimeout(timer);
        slot.waiting.delete(key);
        resolve(null);
      }
    });
  }

  function spawn(slot: Slot): Promise<void> {
    slot.state = 'starting';
    slot.started = false;
    slot.version = null;
    slot.applied = null;
    slot.startedAt = Date.now();
    const child = fork(WORKER_MODULE, [], {
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      // The primary's own flags last, so an operator's execArgv still wins.
      execArgv: [...WORKER_V8_FLAGS, ...process.execArgv],
    });
    slot.child = child;
    return new Promise<void>((resolve, reject) => {
      let started = false;
      child.on('message', (m: FromWorker) => {
        if (m.type === 'ready') {
          started = true;
          slot.started = true;
          send(slot, { type: 'init', init: { ...options.init, id: slot.id, ticketKeys } });
          resolve();
          return;
        }
        const key = `${m.type}:${m.seq}`;
        const waiter = slot.waiting.get(key);
        slot.waiting.delete(key);
        waiter?.(m);
      });
      child.on('error', (err) => logger.error({ worker: slot.id, err: err.message }, 'worker process error'));
      child.on('exit', (code, signal) => {
        if (slot.child !== child) return;
        slot.child = null;
        slot.started = false;
        for (const w of [...slot.waiting.values()]) w(null);
        slot.waiting.clear();
        if (!started) reject(new Error(`worker ${slot.id} exited during startup (code ${code}, signal ${signal})`));
        if (closing) {
          slot.state = 'stopped';
          return;
        }
        slot.state = 'restarting';
        slot.restarts++;
        if (Date.now() - slot.startedAt > STABLE_MS) slot.backoff = restart.initial;
        logger.error(
          { worker: slot.id, workerPid: child.pid, code, signal, restartInMs: slot.backoff },
          'worker exited; restarting it',
        );
        slot.restartTimer = setTimeout(() => {
          slot.restartTimer = null;
          if (closing) return;
          spawn(slot).then(
            () => void serialized(() => catchUp(slot)),
            (err: Error) => logger.error({ worker: slot.id, err: err.message }, 'worker restart failed'),
          );
        }, slot.backoff);
        slot.backoff = Math.min(slot.backoff * 2, restart.max);
      });
    });
  }

  /** Gives a (re)started worker the current configuration; only then does it listen. */
  async function catchUp(slot: Slot): Promise<void> {
    if (current === null) {
      slot.state = 'serving';
      return;
    }
    const { json, version } = current;
    const m = await request(slot, applyMessage(slot, ++seq, version, json), 'applied');
    if (m?.type !== 'applied') return;
    if (m.error !== undefined) {
      logger.error({ worker: slot.id, version, err: m.error }, 'restarted worker cannot apply the configuration');
      return;
    }
    slot.state = 'serving';
    slot.version = m.result!.version;
    slot.applied = { version, text: json };
    logger.info({ worker: slot.id, workerPid: slot.child?.pid, version }, 'worker serving');
  }

  /** An apply message for `slot`: a delta from what it holds when that is smaller, else the whole. */
  function applyMessage(slot: Slot, s: number, version: string, json: string): ToWorker & { seq: number } {
    const held = slot.applied;
    const delta = held === null ? null : textDelta(held.version, held.text, json);
    logger.debug(
      { worker: slot.id, version, form: delta === null ? 'full' : 'delta', chars: delta?.middle.length ?? json.length },
      'configuration sent to worker',
    );
    return delta === null ? { type: 'apply', seq: s, version, ir: json } : { type: 'apply', seq: s, version, delta };
  }

  async function swap(ir: IR, version: string): Promise<ApplyResult> {
    const json = JSON.stringify(ir);
    const s = ++seq;
    // Workers still starting are included: they have no configuration to lose.
    const live = slots.filter((slot) => slot.child !== null && slot.started);
    const replies = await Promise.all(
      live.map((slot) => request(slot, applyMessage(slot, s, version, json), 'applied')),
    );
    const errors = new Map<string, ListenerError>();
    const failed: { slot: Slot; error: string }[] = [];
    let applied = 0;
    replies.forEach((m, i) => {
      const slot = live[i]!;
      if (m?.type !== 'applied') return;
      if (m.error !== undefined) {
        failed.push({ slot, error: m.error });
        return;
      }
      applied++;
      slot.state = 'serving';
      slot.version = m.result!.version;
      slot.applied = { version, text: json };
      for (const e of m.result!.errors) errors.set(`${e.port}\0${e.listener}\0${e.code}`, e);
    });
    // Compiling is deterministic: normally every worker applies a version or none does, and then
    // each keeps serving the previous one.
    if (applied === 0) throw new Error(failed[0]?.error ?? 'no data plane worker is running');
    current = { json, version };
    // One that failed where others succeeded would serve an older version: replace it (the new
    // process catches up with `current`).
    for (const { slot, error } of failed) {
      logger.error(
        { worker: slot.id, workerPid: slot.child?.pid, version, err: error },
        'worker could not apply the configuration the others serve; restarting it',
      );
      slot.child?.kill('SIGKILL');
    }
    return {
      version,
      errors: [...errors.values()].sort((a, b) => a.port - b.port || a.listener.localeCompare(b.listener)),
    };
  }

  return {
    async start() {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('workers did not start in time')), START_TIMEOUT_MS);
      });
      try {
        await Promise.race([Promise.all(slots.map((slot) => spawn(slot))), timeout]);
      } catch (err) {
        closing = true;
        for (const slot of slots) slot.child?.kill('SIGKILL');
        throw err;
      } finally {
        clearTimeout(timer);
      }
      for (const slot of slots) slot.state = 'serving';
    },
    apply: (ir, version) => serialized(() => swap(ir, version)),
    async metrics() {
      const replies = await Promise.all(
        slots
          .filter((s) => s.state === 'serving')
          .map((slot) => request(slot, { type: 'metrics', seq: ++seq }, 'metrics')),
      );
      return replies.flatMap((m) => (m?.type === 'metrics' ? [m.metrics] : []));
    },
    async listening() {
      for (const slot of slots) {
        if (slot.state !== 'serving') continue;
        const m = await request(slot, { type: 'listening', seq: ++seq }, 'listening');
        if (m?.type === 'listening') return m.listening;
      }
      return [];
    },
    info: () =>
      slots.map((s) => ({
        id: s.id,
        pid: s.child?.pid ?? null,
        state: s.state,
        version: s.version,
        restarts: s.restarts,
      })),
    async close(graceMs: number) {
      closing = true;
      for (const slot of slots) {
        if (slot.restartTimer) clearTimeout(slot.restartTimer);
        slot.restartTimer = null;
      }
      await chain;
      await Promise.all(
        slots.map(async (slot) => {
          const child = slot.child;
          if (child === null) return;
          const exited = new Promise<void>((r) => {
            if (child.exitCode !== null || child.signalCode !== null) r();
            else child.once('exit', () => r());
          });
          const kill = setTimeout(() => child.kill('SIGKILL'), graceMs + 2_000);
          send(slot, { type: 'close', seq: ++seq, graceMs });
          await exited;
          clearTimeout(kill);
        }),
      );
    },
  };
}
