// The standalone control loop: read the manifest files, translate, apply to the data plane.
// Runs once at start and again whenever the watcher reports a change. Reconciles never overlap:
// a change that arrives during one marks the loop dirty and it runs once more afterwards.
//
// A config version is a content hash of the IR, so a reload that produces the same IR (a comment
// edited, a status-only change) does not touch the data plane. Listeners that failed to bind are
// retried with backoff (a port in use may be freed), which is why the view marks them Pending.

import { createHash } from 'node:crypto';
import type { Resource } from '../api/types.ts';
import type { IR } from '../ir/types.ts';
import { type Diagnostic, formatDiagnostic, Snapshot } from '../provider/snapshot.ts';
import type { TranslateOptions } from '../translate/context.ts';
import { translate } from '../translate/index.ts';
import { renderStatusDocuments } from '../translate/status.ts';
import type { FileState, SourceStore } from './sources.ts';
import { type ApplyError, foldApplyErrors, preserveTransitionTimes } from './statusview.ts';

export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** The part of the data plane the loop drives. */
export interface ConfigTarget {
  apply(ir: IR, version: string): Promise<{ version: string; errors: ApplyError[] }>;
}

export interface ReloadRecorder {
  recordReload(outcome: { ok: boolean; version: string | null; time: number }): void;
}

export interface ControlLoopOptions {
  sources: SourceStore;
  target: ConfigTarget;
  controllerName: string;
  /**
   * Translator options besides controllerName and the clock. One process serves every Gateway,
   * so serve translates with sharedAddressSpace (listeners of Gateways on a common address must
   * be distinct) and the address it binds as the default address.
   */
  translateOptions?: Omit<TranslateOptions, 'controllerName' | 'now'>;
  logger: Logger;
  metrics?: ReloadRecorder;
  /** Epoch ms; injectable for tests. */
  clock?: () => number;
  /** Backoff for re-applying after bind errors: first delay and cap, ms. */
  retryMs?: { initial: number; max: number };
}

export interface LastReload {
  /** ISO time the reload finished. */
  time: string;
  ok: boolean;
  durationMs: number;
  /** Set when the reload failed before anything was applied (e.g. the translator threw). */
  error?: string;
}

export interface StatusView {
  version: string | null;
  ready: boolean;
  lastReload: LastReload | null;
  resources: Resource[];
  /** Load diagnostics (parse errors, rejected resources, duplicates) then translation diagnostics. */
  diagnostics: (Diagnostic & { text: string })[];
  applyErrors: ApplyError[];
  files: { file: string; parsed: boolean; goodSince: string | null }[];
}

export interface ControlLoop {
  /**
   * Reconciles now (or after the one running). Resolves when the configuration reflects the files.
   * `changed`: the paths the watcher saw change, so that other known files need not be read again;
   * absent or null: read every file.
   */
  reload(changed?: ReadonlySet<string> | null): Promise<void>;
  ready(): boolean;
  version(): string | null;
  configDump(): { version: string | null; appliedAt: string | null; ir: IR | null };
  status(): StatusView;
  /** Stops retry timers; a reload in flight is awaited. */
  close(): Promise<void>;
}

/** Content hash of the IR: the translator's output order is deterministic, so equal IR, equal text. */
/**
 * The configuration version: a hash of what determines the IR, i.e. the resources served from each
 * file (FileState.resourcesHash, in file order, which decides duplicates) and the translator options.
 * Hashing the inputs instead of the IR keeps a multi-megabyte serialisation off the reload path.
 */
export function inputVersion(
  files: readonly FileState[],
  controllerName: string,
  translateOptions: object | undefined,
): string {
  const h = createHash('sha256');
  h.update(JSON.stringify([controllerName, translateOptions ?? {}]));
  for (const f of files) h.update(`\n${f.file}\0${f.resourcesHash}`);
  return h.digest('hex').slice(0, 16);
}

function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** How long after an apply the status documents are built (unless asked for sooner). */
const STATUS_DELAY_MS = 50;

export function createControlLoop(options: ControlLoopOptions): ControlLoop {
  const { sources, target, controllerName, logger, metrics } = options;
  const clock = options.clock ?? Date.now;
  const retry = options.retryMs ?? { initial: 1_000, max: 30_000 };

  let ir: IR | null = null;
  let version: string | null = null;
  let appliedAt: number | null = null;
  let applyErrors: ApplyError[] = [];
  let view: StatusView = {
    version: null,
    ready: false,
    lastReload: null,
    resources: [],
    diagnostics: [],
    applyErrors: [],
    files: [],
  };
  /**
   * Status documents of applied translations not built yet, oldest first. A reconcile queues its
   * builder and schedules a build shortly after the apply (the timer is not pushed back by later
   * reconciles, so a burst of changes cannot starve it); status() builds at once. Builds run in
   * order, each on the statuses the previous one produced, so lastTransitionTimes carry over
   * exactly, and neither traffic (the data plane shares this event loop with --workers 0) nor the
   * next reload waits for the bookkeeping.
   */
  const pendingStatus: (() => Resource[])[] = [];
  let statusTimer: NodeJS.Timeout | null = null;
  const materializeStatus = (): void => {
    if (statusTimer) clearTimeout(statusTimer);
    statusTimer = null;
    for (const build of pendingStatus.splice(0)) view = { ...view, resources: build() };
  };
  let loggedDiagnostics = new Set<string>();
  let loggedApplyErrors = '[]';

  let running: Promise<void> | null = null;
  /** Paths changed since the last read began; 'all' when a full read is due. */
  let pending: Set<string> | 'all' = 'all';
  let dirty = false;
  let closed = false;
  let retryTimer: NodeJS.Timeout | null = null;
  let retryDelay = retry.initial;

  async function reconcileOnce(): Promise<void> {
    const started = clock();
    const paths = pending;
    pending = new Set();
    const read = await sources.read(paths === 'all' ? null : paths);
    const snapshot = new Snapshot(read.entries);
    const loadDiagnostics = [...read.diagnostics, ...snapshot.diagnostics];
    const now = rfc3339(started);

    // The translator is pure, so the served resources and the options determine the IR: when
    // they are unchanged (a comment edit, a touch) there is nothing to translate or apply.
    const next = inputVersion(read.files, controllerName, options.translateOptions);
    if (next === version && applyErrors.length === 0) {
      logger.debug({ version }, 'configuration unchanged');
      finish(started, !loadDiagnostics.some((d) => d.severity === 'error'), undefined, loadDiagnostics, read.files);
      return;
    }

    const translateStart = clock();
    let result: ReturnType<typeof translate>;
    try {
      result = translate(snapshot, { ...options.translateOptions, controllerName, now });
    } catch (err) {
      // A translator bug must not take down what is serving: keep the last configuration.
      logger.error({ err }, 'translation failed; the previous configuration keeps serving');
      finish(started, false, `translation failed: ${(err as Error).message}`, loadDiagnostics, read.files);
      return;
    }

    // Apply first: traffic sees the new configuration before any status bookkeeping is done.
    const applyStart = clock();
    let applied: { version: string; errors: ApplyError[] };
    try {
      applied = await target.apply(result.ir, next);
    } catch (err) {
      logger.error({ err, version: next }, 'data plane rejected the configuration; the previous one keeps serving');
      finish(started, false, `apply failed: ${(err as Error).message}`, loadDiagnostics, read.files);
      return;
    }
    const changed = next !== version;
    ir = result.ir;
    version = applied.version;
    appliedAt = clock();
    applyErrors = applied.errors;
    if (changed) {
      logger.info(
        {
          version,
          gateways: result.ir.gateways.length,
          listeners: result.ir.gateways.reduce((n, g) => n + g.listeners.length, 0),
          durationMs: clock() - started,
          // Where the time went: reading changed files, translating, handing to the data plane.
          phasesMs: {
            read: translateStart - started,
            translate: applyStart - translateStart,
            apply: clock() - applyStart,
          },
        },
        'configuration applied',
      );
    }
    // Retries re-apply every few seconds; say it again only when something changed.
    const errorsText = JSON.stringify(applyErrors);
    for (const e of applyErrors) {
      const fields = { listener: e.listener, port: e.port, code: e.code };
      if (changed || errorsText !== loggedApplyErrors) logger.error(fields, `listener cannot be served: ${e.message}`);
      else logger.debug(fields, `listener still cannot be served: ${e.message}`);
    }
    if (loggedApplyErrors !== '[]' && applyErrors.length === 0) logger.info({ version }, 'all listeners are served');
    loggedApplyErrors = errorsText;

    const appliedErrors = applyErrors;
    pendingStatus.push(() => {
      // Computed statuses are fresh objects of this translation, so they may be edited in place;
      // a status carried over from the input belongs to the snapshot and is copied first.
      const docs: Resource[] = renderStatusDocuments(snapshot, result).map((d) =>
        d.status !== undefined && snapshot.get(d.kind, d.metadata.namespace, d.metadata.name)?.status === d.status
          ? { ...d, status: structuredClone(d.status) }
          : d,
      );
      foldApplyErrors(docs, result.ir, appliedErrors, now);
      preserveTransitionTimes(view.resources, docs);
      return docs;
    });
    view = { ...view, applyErrors };
    if (statusTimer === null) {
      statusTimer = setTimeout(materializeStatus, STATUS_DELAY_MS);
      statusTimer.unref();
    }
    const ok = applyErrors.length === 0 && !loadDiagnostics.some((d) => d.severity === 'error');
    finish(started, ok, undefined, [...loadDiagnostics, ...result.diagnostics], read.files);
    scheduleRetry();
  }

  /** Records the outcome of a reconcile in the view, logs and metrics. */
  function finish(
    started: number,
    ok: boolean,
    error: string | undefined,
    diagnostics: Diagnostic[],
    /** The files read; absent when reading failed (the view keeps the last list). */
    files?: readonly FileState[],
  ): void {
    const withText = diagnostics.map((d) => ({ ...d, text: formatDiagnostic(d) }));
    // Log a diagnostic when it first appears, not on every reload while it persists.
    const nextLogged = new Set<string>();
    for (const d of withText) {
      nextLogged.add(d.text);
      if (loggedDiagnostics.has(d.text)) continue;
      const fields = { code: d.code, ...(d.source ? { file: d.source.file, line: d.source.line } : {}) };
      if (d.severity === 'error') logger.error(fields, d.text);
      else logger.warn(fields, d.text);
    }
    loggedDiagnostics = nextLogged;
    const end = clock();
    view = {
      ...view,
      version,
      ready: version !== null,
      files: files
        ? files.map((f) => ({
            file: f.file,
            parsed: f.parsed,
            goodSince: f.goodSince === null ? null : new Date(f.goodSince).toISOString(),
          }))
        : view.files,
      diagnostics: withText,
      lastReload: { time: new Date(end).toISOString(), ok, durationMs: end - started, ...(error ? { error } : {}) },
    };
    metrics?.recordReload({ ok, version, time: end });
  }

  function scheduleRetry(): void {
    if (applyErrors.length === 0) {
      retryDelay = retry.initial;
      return;
    }
    if (retryTimer || closed) return;
    retryTimer = setTimeout(() => {
      retryTimer = null;
      void loop.reload();
    }, retryDelay);
    retryTimer.unref();
    retryDelay = Math.min(retryDelay * 2, retry.max);
  }

  const loop: ControlLoop = {
    reload(changed?: ReadonlySet<string> | null): Promise<void> {
      if (closed) return Promise.resolve();
      if (!changed || pending === 'all') pending = 'all';
      else for (const p of changed) pending.add(p);
      if (running) {
        dirty = true;
        return running;
      }
      running = (async () => {
        try {
          do {
            dirty = false;
            try {
              await reconcileOnce();
            } catch (err) {
              // Reading the files failed in an unexpected way; keep serving and try again on the next change.
              logger.error({ err }, 'reload failed; the previous configuration keeps serving');
              finish(clock(), false, (err as Error).message, view.diagnostics);
            }
          } while (dirty && !closed);
        } finally {
          running = null;
        }
      })();
      return running;
    },
    ready: () => version !== null,
    version: () => version,
    configDump: () => ({ version, appliedAt: appliedAt === null ? null : new Date(appliedAt).toISOString(), ir }),
    status: () => {
      materializeStatus();
      return view;
    },
    async close() {
      closed = true;
      if (retryTimer) clearTimeout(retryTimer);
      retryTimer = null;
      await running;
      if (statusTimer) clearTimeout(statusTimer);
      statusTimer = null;
    },
  };
  return loop;
}
