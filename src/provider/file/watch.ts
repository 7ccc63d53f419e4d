// Watches manifest paths and calls back once per burst of changes. Editors save in several steps
// (write temp file, rename, chmod) and `kubectl`-style tools write many files at once, so events
// are coalesced: the callback runs when no event has arrived for `debounceMs`.

import { type FSWatcher, watch } from 'node:fs';
import { basename, dirname } from 'node:path';
import { statSync } from 'node:fs';

export interface WatchOptions {
  /** Quiet period after the last event before calling back (default 100 ms). */
  debounceMs?: number;
  /** Called when a path cannot be watched (it is skipped). */
  onError?: (path: string, err: Error) => void;
}

/**
 * Watches files and directories (directories recursively) and calls onChange after each burst.
 * A file is watched through its directory, so replacing it by rename (as editors do) keeps
 * working. Returns a function that stops watching and cancels a pending callback.
 */
export function watchPaths(paths: readonly string[], onChange: () => void, opts: WatchOptions = {}): () => void {
  const debounceMs = opts.debounceMs ?? 100;
  const watchers: FSWatcher[] = [];
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  const fire = (): void => {
    timer = undefined;
    if (!closed) onChange();
  };
  const poke = (): void => {
    if (closed) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(fire, debounceMs);
  };

  // Directory to watch → the names in it we care about (null: everything, recursively).
  const targets = new Map<string, { recursive: boolean; names: Set<string> | null }>();
  for (const p of paths) {
    if (p === '-') continue;
    let isDir = false;
    try {
      isDir = statSync(p).isDirectory();
    } catch {
      // Not there yet: watch the directory it would appear in.
    }
    const dir = isDir ? p : dirname(p);
    const t = targets.get(dir) ?? { recursive: false, names: new Set<string>() };
    if (isDir) {
      t.recursive = true;
      t.names = null;
    } else t.names?.add(basename(p));
    targets.set(dir, t);
  }
  for (const [dir, t] of targets) {
    try {
      const w = watch(dir, { recursive: t.recursive, persistent: true }, (_event, filename) => {
        if (t.names === null || filename === null || t.names.has(basename(String(filename)))) poke();
      });
      w.on('error', (err) => opts.onError?.(dir, err));
      watchers.push(w);
    } catch (err) {
      opts.onError?.(dir, err as Error);
    }
  }

  return () => {
    closed = true;
    if (timer) clearTimeout(timer);
    timer = undefined;
    for (const w of watchers) w.close();
  };
}
