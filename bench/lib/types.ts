// Shared shapes of the HTTP benchmark: what a scenario asks of a proxy, and what a proxy driver
// must provide. Adding a scenario means adding an entry to scenarios.ts; adding a proxy means
// adding a driver.

import type { LoadSpec } from './load.ts';
import type { Started } from './proc.ts';

/** How every proxy in a scenario is configured (the same for all of them). */
export interface Tweaks {
  /** Worker processes / threads. */
  workers: number;
  /** Terminate TLS on the proxy's listener (certificate generated for the run). */
  tls: boolean;
  /** Serve HTTP/2 to clients: h2c with prior knowledge, or ALPN h2 when tls is set. */
  h2: boolean;
  /**
   * When > 0, the proxy routes by this many regular-expression path rules,
   * `^/r/<i>/[a-z0-9]+$` for i = 0..n-1, declared in that order; anything else is a 404.
   */
  regexRoutes: number;
}

export interface Scenario {
  name: string;
  title: string;
  tweaks: Tweaks;
  load: LoadSpec;
  /** Header of the rate column when it counts something else than requests (default req/s). */
  rate?: string;
}

/** Files and ports every driver may use. */
export interface RunContext {
  /** Scratch directory for this run (removed at the end). */
  dir: string;
  upstreamPort: number;
  /** Upstream nginx master pid (for the "direct" row). */
  upstream: Started;
  /** PEM paths for TLS scenarios; null when no certificate could be made. */
  tls: { cert: string; key: string; combined: string } | null;
  /** Repository root (for bin/portunus.js). */
  root: string;
  /** The built TLS handshake load generator (tlsload.ts), when a scenario needs it. */
  tlsload?: string;
}

export interface RunningProxy {
  port: number;
  /** Root of the process tree whose CPU time is measured. */
  cpuRoot: number;
  /**
   * Processes whose RSS is reported, summed and as the largest one (nginx: its workers, not the
   * master; Portunus: the whole tree, primary and worker processes).
   */
  rssPids(): number[];
  /** Worker processes, for the per-worker RSS (default: rssPids). */
  workerPids?(): number[];
  stop(): Promise<void>;
  /** Whether the process died (then a failed probe is a crash, not a missing feature). */
  exited(): boolean;
  logFile: string | null;
}

export interface ProxyDriver {
  name: string;
  /** Version string for the report. */
  version(): string;
  /** null when the scenario can run; otherwise why this proxy cannot do it. */
  unsupported(tweaks: Tweaks, ctx: RunContext): string | null;
  /**
   * A probe request that fails right after start means the proxy lacks the feature
   * ('unsupported') or that the harness is broken ('failed').
   */
  probeFailure: 'unsupported' | 'failed';
  start(tweaks: Tweaks, ctx: RunContext): Promise<RunningProxy>;
}
