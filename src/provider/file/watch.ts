// Watches manifest paths and calls back once per burst of changes. Editors save in several steps
// (write temp file, rename, chmod) and `kubectl`-style tools write many files at once, so events
// are coalesced: the callback runs when no event has arrived for `debounceMs`.
//
// Directories are watched one by one, non-recursively. Node's recursive fs.watch on Linux watches
// individual files too, and loses a file once it has been replaced by rename (the way editors and
// config tools save); a plain directory watch reports every entry created, renamed in or removed.
// The tree is rescanned after each burst so directories created later are watched as well.

import { type Dirent, type FSWatcher, readdirSync, statSync, watch } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export interface WatchOptions {
  /** Quiet period after the last event before calling back (default 100 ms). */
  debounceMs?: number;
  /** Called when a path cannot be watched (it is skipped). */
  onError?: (path: string, err: Error) => void;
}

/** Symlinked directories can loop; no real manifest tree is this deep. */
const MAX_DEPTH = 32;

interface Target {
  /** Watch subdirectories too. */
  recursive: boolean;
  /** Names in the directory that matter (null: all of them). */
  names: Set<string> | null;
}

/** The directories of a tree, hidden ones skipped (as the loader skips them). */
function directoriesUnder(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string, depth: number): void => {
    out.push(dir);
    if (depth >= MAX_DEPTH) return;
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      // Entry types come with the listing; only symbolic links need a stat.
      if (e.isDirectory()) walk(join(dir, e.name), depth + 1);
      else if (e.isSymbolicLink()) {
        try {
          if (statSync(join(dir, e.name)).isDirectory()) walk(join(dir, e.name), depth + 1);
        } catch {
          // Dangling or unreadable: nothing to watch.
        }
      }
    }
  };
  walk(root, 0);
  return out;
}

/**
 * Watches files and directories (directories recursively) and calls onChange after each burst,
 * with the paths the burst's events named (null when an event named none: assume anything changed).
 * A file is watched through its directory, so replacing it by rename keeps working. Returns a
 * function that stops watching and cancels a pending callback.
 */
export function watchPaths(
  paths: readonly string[],
  onChange: (changed: ReadonlySet<string> | null) => void,
  opts: WatchOptions = {},
): () => void {
  const debounceMs = opts.debounceMs ?? 100;
  const watchers = new Map<string, { w: FSWatcher; ino: number }>();
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  // Directory given (or holding a given file) → what to watch in it.
  const targets = new Map<string, Target>();
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

  // Paths events named during the current burst; null once an event named none (rescan everything).
  let changed: Set<string> | null = new Set();
  const poke = (path: string | null): void => {
    if (closed) return;
    if (path === null) changed = null;
    else changed?.add(path);
    if (timer) clearTimeout(timer);
    timer = setTimeout(fire, debounceMs);
  };

  const inode = (dir: string): number => {
    try {
      return statSync(dir).ino;
    } catch {
      return -1;
    }
  };

  const add = (dir: string, names: Set<string> | null): void => {
    const ino = inode(dir);
    const current = watchers.get(dir);
    if (current && current.ino === ino) return;
    // A directory removed and created again is a new inode; the old watch sees nothing of it.
    current?.w.close();
    watchers.delete(dir);
    try {
      const w = watch(dir, { persistent: true }, (_event, filename) => {
        if (filename === null) poke(null);
        else if (names === null || names.has(basename(String(filename)))) poke(join(dir, String(filename)));
      });
      w.on('error', () => {
        // The directory went away (or became unreadable): drop it; the next scan decides.
        w.close();
        if (watchers.get(dir)?.w === w) watchers.delete(dir);
        poke(null);
      });
      watchers.set(dir, { w, ino });
    } catch (err) {
      opts.onError?.(dir, err as Error);
    }
  };

  /** Brings the set of watched directories in line with the trees on disk. */
  const sync = (): void => {
    const wanted = new Map<string, Set<string> | null>();
    for (const [dir, t] of targets) {
      if (!t.recursive) {
        if (!wanted.has(dir)) wanted.set(dir, t.names);
        continue;
      }
      for (const d of directoriesUnder(dir)) wanted.set(d, null);
    }
    for (const [dir, { w }] of watchers) {
      if (!wanted.has(dir)) {
        w.close();
        watchers.delete(dir);
      }
    }
    for (const [dir, names] of wanted) add(dir, names);
  };

  function fire(): void {
    timer = undefined;
    if (closed) return;
    sync();
    const burst = changed;
    changed = new Set();
    onChange(burst);
  }

  sync();
  return () => {
    closed = true;
    if (timer) clearTimeout(timer);
    timer = undefined;
    for (const { w } of watchers.values()) w.close();
    watchers.clear();
  };
}
