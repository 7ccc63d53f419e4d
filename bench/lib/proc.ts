// Process plumbing for the HTTP benchmarks: start servers in their own process groups, stop them
// (always: on success, errors and signals), find free loopback ports, and read CPU time and RSS
// from /proc. Every wait here is bounded.

import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { openSync, readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';

export interface Started {
  readonly name: string;
  readonly pid: number;
  readonly child: ChildProcess;
  /** Path of the file that collects the process's stdout and stderr. */
  readonly logFile: string;
  /** SIGTERM to the process group, then SIGKILL after graceMs. Resolves once it has exited. */
  stop(graceMs?: number): Promise<void>;
}

const running = new Set<Started>();
/** Short-lived helpers (load generators) to kill with the servers. */
const helpers = new Set<ChildProcess>();

/** Kills child with the servers if this process is interrupted; forgotten once it exits. */
export function trackHelper(child: ChildProcess): void {
  helpers.add(child);
  child.once('exit', () => helpers.delete(child));
}

/** Kills every started process group at once; safe to call from an 'exit' handler (synchronous). */
export function killAllNow(): void {
  for (const s of running) {
    try {
      process.kill(-s.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  running.clear();
  for (const child of helpers) child.kill('SIGKILL');
  helpers.clear();
}

let handlersInstalled = false;
/** On exit, uncaught errors and SIGINT/SIGTERM, no server this process started outlives it. */
export function installCleanupHandlers(onSignal?: () => void): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', killAllNow);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      process.stderr.write(`\nbench: ${sig}, stopping servers\n`);
      onSignal?.();
      killAllNow();
      process.exit(130);
    });
  }
}

/**
 * Starts a server in its own process group (so nginx's workers go with its master), output to
 * logFile. Rejects if the command cannot be spawned.
 */
export function startProcess(name: string, command: string, args: string[], logFile: string): Promise<Started> {
  // Truncated: readers of the log (the reload benchmark counts its "configuration applied" lines)
  // must see this run only, not earlier rounds that started a process under the same name.
  const fd = openSync(logFile, 'w');
  const child = spawn(command, args, { detached: true, stdio: ['ignore', fd, fd] });
  return new Promise((resolve, reject) => {
    child.once('error', (err) => reject(new Error(`${name}: cannot start ${command}: ${err.message}`)));
    child.once('spawn', () => {
      const exited = new Promise<void>((r) => {
        if (child.exitCode !== null || child.signalCode !== null) r();
        else child.once('exit', () => r());
      });
      const started: Started = {
        name,
        pid: child.pid!,
        child,
        logFile,
        async stop(graceMs = 3000) {
          if (!running.has(started)) return exited;
          running.delete(started);
          signalGroup(child.pid!, 'SIGTERM');
          const timer = setTimeout(() => signalGroup(child.pid!, 'SIGKILL'), graceMs);
          await exited;
          clearTimeout(timer);
          // The leader is gone; make sure nothing else in its group lingers (nginx workers).
          signalGroup(child.pid!, 'SIGKILL');
        },
      };
      running.add(started);
      resolve(started);
    });
  });
}

function signalGroup(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pid, sig);
  } catch {
    // No such group any more.
  }
}

/** Whether the process has exited (crashed during startup, for instance). */
export function hasExited(s: Started): boolean {
  return s.child.exitCode !== null || s.child.signalCode !== null;
}

/** For waitFor's gaveUp: why s will not become ready, or null while it runs. */
export function exitReason(s: Started): () => string | null {
  return () => (hasExited(s) ? `${s.name} exited (${s.child.signalCode ?? `status ${s.child.exitCode}`})` : null);
}

/** A port that was free on 127.0.0.1 a moment ago (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Polls check() every intervalMs until it returns true; throws after timeoutMs, or at once when
 * gaveUp() returns a reason (a server that exited will never become ready).
 */
export async function waitFor(
  what: string,
  check: () => Promise<boolean> | boolean,
  timeoutMs: number,
  intervalMs = 20,
  gaveUp: () => string | null = () => null,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const reason = gaveUp();
    if (reason) throw new Error(`${reason} while waiting for ${what}`);
    try {
      if (await check()) return;
    } catch {
      // Not yet.
    }
    await sleep(intervalMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/** Resolves true once something accepts TCP connections on 127.0.0.1:port. */
export function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

// ---- /proc ----

let clockTicks = 0;
function ticksPerSecond(): number {
  if (clockTicks === 0) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

interface ProcStat {
  ppid: number;
  /**
   * utime + stime + cutime + cstime in clock ticks: all threads of the process plus its children
   * that exited and were reaped (a restarted worker's time stays in the sum).
   */
  ticks: number;
}

function readStat(pid: number): ProcStat | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // comm (field 2) may contain spaces and parentheses; fields after the last ')' are fixed.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state): ppid is field 4, utime 14, stime 15, cutime 16, cstime 17.
  return { ppid: Number(rest[1]), ticks: Number(rest[11]) + Number(rest[12]) + Number(rest[13]) + Number(rest[14]) };
}

/** The process and all its descendants (one scan of /proc). */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const st = readStat(Number(name));
    if (!st) continue;
    const list = children.get(st.ppid);
    if (list) list.push(Number(name));
    else children.set(st.ppid, [Number(name)]);
  }
  const out: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.pop()!;
    out.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return out;
}

/** User + system CPU seconds consumed so far by the process tree rooted at pid (reaped children included). */
export function treeCpuSeconds(root: number): number {
  let ticks = 0;
  for (const pid of processTree(root)) ticks += readStat(pid)?.ticks ?? 0;
  return ticks / ticksPerSecond();
}

/** Busy CPU seconds of the whole machine so far (all cores; idle and iowait excluded). */
export function machineBusySeconds(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal (guest time is already inside user).
  const busy = (f[0] ?? 0) + (f[1] ?? 0) + (f[2] ?? 0) + (f[5] ?? 0) + (f[6] ?? 0) + (f[7] ?? 0);
  return busy / ticksPerSecond();
}

/** CPU seconds of this process plus its exited, reaped children (the load generators). */
export function selfAndReapedCpuSeconds(): number {
  const text = readFileSync('/proc/self/stat', 'utf8');
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // Fields 14-17: utime, stime, cutime, cstime.
  return (Number(rest[11]) + Number(rest[12]) + Number(rest[13]) + Number(rest[14])) / ticksPerSecond();
}

/** VmRSS in bytes (0 if the process is gone). */
export function rssBytes(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/**
 * Private_Clean + Private_Dirty in bytes (0 if the process is gone): the memory only this process
 * holds, which exiting would free. RSS also counts pages shared with other processes, such as the
 * node executable's code that every worker and the primary map from the same file.
 */
export function privateBytes(pid: number): number {
  try {
    const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    let kb = 0;
    for (const m of text.matchAll(/^Private_(?:Clean|Dirty):\s+(\d+) kB/gm)) kb += Number(m[1]);
    return kb * 1024;
  } catch {
    return 0;
  }
}

/** RSS and private memory (MiB) of the process with the largest RSS among `pids`. */
export function largestWorker(pids: number[]): { rssWorkerMiB: number; privateWorkerMiB: number } {
  let best = 0;
  let pid = -1;
  for (const p of pids) {
    const r = rssBytes(p);
    if (r > best) {
      best = r;
      pid = p;
    }
  }
  return { rssWorkerMiB: best / 1048576, privateWorkerMiB: pid < 0 ? 0 : privateBytes(pid) / 1048576 };
}

/** Output (stdout then stderr) of a command, or null when it cannot run (for version strings). */
export function commandOutput(command: string, args: string[]): string | null {
  const r = spawnSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 5000 });
  if (r.error) return null;
  return `${r.stdout ?? ''}${r.stderr ?? ''}`;
}
