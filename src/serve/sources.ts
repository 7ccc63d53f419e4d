// Per-file source store for `portunus serve`: remembers, for every manifest file, the last version
// that could be parsed, so a half-saved or broken file never takes its resources out of service.
//
// Policy (the same one an API server applies to a stream of writes):
//   - a file that cannot be read or parsed keeps serving its previous good version (or nothing, if
//     it never parsed); the parse error is reported with file:line;
//   - a file that parses but contains resources rejected by validation contributes its valid
//     resources; the rejected ones are left out and reported (like an API server refusing one object);
//   - an empty file (a save caught between truncate and write) keeps its previous version too;
//   - a deleted file takes its resources away (that is what the user asked for).
// Unchanged files (same bytes) are not parsed again.

import { createHash } from 'node:crypto';
import { lstat, readFile } from 'node:fs/promises';
import { basename, sep } from 'node:path';
import { isManifestName, listManifestFiles, type MissingPath } from '../provider/file/files.ts';
import type { Diagnostic, Snapshot, SnapshotEntry } from '../provider/snapshot.ts';

/**
 * Turns one file's text into a snapshot; `fatal` means it could not be parsed at all.
 * In serve this is the file provider's loadTexts; tests may pass a smaller one.
 */
export type FileLoader = (
  file: string,
  text: string,
) =>
  | { snapshot: Snapshot; diagnostics: Diagnostic[]; fatal?: boolean }
  | Promise<{ snapshot: Snapshot; diagnostics: Diagnostic[]; fatal?: boolean }>;

export interface FileState {
  file: string;
  /** sha256 of the bytes last read. */
  hash: string;
  /**
   * sha256 of the resources being served from this file (not of its bytes: a comment or
   * formatting change leaves it unchanged). The translator is pure, so these hashes determine the IR.
   */
  resourcesHash: string;
  /** Whether the current bytes parsed; when false, `entries` are from the last good version. */
  parsed: boolean;
  /** Resources this file contributes now. */
  entries: SnapshotEntry[];
  /** Diagnostics from the current bytes (parse errors, rejected resources). */
  diagnostics: Diagnostic[];
  /** Epoch ms when the entries being served were parsed (null: never parsed). */
  goodSince: number | null;
}

export interface SourceRead {
  entries: SnapshotEntry[];
  diagnostics: Diagnostic[];
  files: FileState[];
  /** Paths given on the command line that cannot be read (deleted, permissions). */
  missing: string[];
}

/** Every entry of a snapshot, in its stable order (kind, namespace, name). */
export function snapshotEntries(snapshot: Snapshot): SnapshotEntry[] {
  const out: SnapshotEntry[] = [];
  for (const kind of snapshot.kinds()) {
    for (const r of snapshot.list(kind)) {
      const e = snapshot.entry(kind, r.metadata.namespace, r.metadata.name);
      if (e) out.push(e);
    }
  }
  return out;
}

function diagnosticKey(d: Diagnostic): string {
  return `${d.code}|${d.message}|${d.source?.file ?? ''}:${d.source?.line ?? ''}|${d.resource?.kind ?? ''}/${d.resource?.namespace ?? ''}/${d.resource?.name ?? ''}|${d.field ?? ''}`;
}

export interface SourceStore {
  /**
   * Re-reads the paths; only files whose bytes changed are parsed again. With `changed` (paths a
   * watcher reported), known files it does not name are not even read.
   */
  read(changed?: ReadonlySet<string> | null): Promise<SourceRead>;
}

export function createSourceStore(
  paths: readonly string[],
  load: FileLoader,
  clock: () => number = Date.now,
): SourceStore {
  const states = new Map<string, FileState>();

  async function readOne(file: string): Promise<FileState | null> {
    let bytes: Buffer;
    try {
      bytes = await readFile(file);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return null; // deleted between listing and reading
      const prev = states.get(file);
      return {
        file,
        hash: '',
        parsed: false,
        entries: prev?.entries ?? [],
        resourcesHash: prev?.resourcesHash ?? EMPTY_HASH,
        goodSince: prev?.goodSince ?? null,
        diagnostics: [
          {
            severity: 'error',
            code: 'READ_ERROR',
            message: `cannot read file: ${(err as Error).message}`,
            source: { file, line: 1 },
          },
        ],
      };
    }
    const hash = createHash('sha256').update(bytes).digest('hex');
    const prev = states.get(file);
    if (prev && prev.hash === hash) return prev;

    if (bytes.length === 0 && prev?.goodSince != null) {
      // A zero-length file is almost always one caught between truncate and write (an in-place
      // save); the write that follows fires the watcher again. Keep serving its previous version.
      return {
        file,
        hash,
        parsed: false,
        entries: prev.entries,
        resourcesHash: prev.resourcesHash,
        goodSince: prev.goodSince,
        diagnostics: [
          {
            severity: 'warning',
            code: 'KEPT_PREVIOUS_VERSION',
            message: `file is empty; still serving its previous version (parsed ${new Date(prev.goodSince).toISOString()}); delete the file to remove its resources`,
            source: { file, line: 1 },
          },
        ],
      };
    }
    const loaded = await load(file, bytes.toString('utf8'));
    // The loader may report the snapshot's own findings (duplicates) too; keep each once.
    const seen = new Set<string>();
    const diagnostics: Diagnostic[] = [];
    for (const d of [...loaded.diagnostics, ...loaded.snapshot.diagnostics]) {
      const k = diagnosticKey(d);
      if (!seen.has(k)) {
        seen.add(k);
        diagnostics.push(d);
      }
    }
    if (loaded.fatal) {
      const kept = prev?.goodSince != null;
      diagnostics.push({
        severity: 'error',
        code: 'KEPT_PREVIOUS_VERSION',
        message: kept
          ? `file could not be parsed; still serving its previous version (parsed ${new Date(prev!.goodSince!).toISOString()})`
          : 'file could not be parsed and has no previous version; it contributes no resources',
        source: { file, line: firstErrorLine(diagnostics) },
      });
      return {
        file,
        hash,
        parsed: false,
        entries: prev?.entries ?? [],
        resourcesHash: prev?.resourcesHash ?? EMPTY_HASH,
        goodSince: prev?.goodSince ?? null,
        diagnostics,
      };
    }
    const entries = snapshotEntries(loaded.snapshot);
    return {
      file,
      hash,
      resourcesHash: hashResources(entries),
      parsed: true,
      entries,
      goodSince: clock(),
      diagnostics,
    };
  }

  return {
    async read(changed?: ReadonlySet<string> | null): Promise<SourceRead> {
      // With the watcher's list of changed paths, known files it does not name are not read
      // again, and when it names known files only, the tree is not even listed again. Without
      // one, every file is read (and skipped when its bytes are unchanged).
      const scope = changed ? await changeScope(changed, states) : 'all';
      let files: string[];
      let missing: MissingPath[] = [];
      if (scope === 'known') files = [...states.keys()];
      else {
        const listed = await listManifestFiles(paths);
        files = [...listed.byPath.values()].flat();
        missing = listed.missing;
      }
      const reread = scope === 'all' ? null : changed!;
      const next = await Promise.all(
        files.map((f) => {
          const known = states.get(f);
          return reread && known && !reread.has(f) ? known : readOne(f);
        }),
      );
      states.clear();
      const out: SourceRead = { entries: [], diagnostics: [], files: [], missing: missing.map((m) => m.path) };
      for (const s of next) {
        if (!s) continue;
        states.set(s.file, s);
        out.files.push(s);
        out.entries.push(...s.entries);
        out.diagnostics.push(...s.diagnostics);
      }
      for (const m of missing) {
        out.diagnostics.push({
          severity: 'error',
          code: m.code,
          message: m.message,
          source: { file: m.path, line: 1 },
        });
      }
      return out;
    },
  };
}

/**
 * What a watcher's list of changed paths requires: 'known' when it names only files already read
 * (re-read those; a deleted one drops out), 'list' when something new may have appeared (list the
 * tree again, re-read the named files), 'all' when a symbolic link or a directory changed, which
 * can change what every known file resolves to (the `..data` link Kubernetes swaps to update a
 * mounted ConfigMap is hidden and never listed itself, but every file behind it changed).
 */
async function changeScope(
  changed: ReadonlySet<string>,
  known: ReadonlyMap<string, FileState>,
): Promise<'known' | 'list' | 'all'> {
  let scope: 'known' | 'list' = 'known';
  for (const path of changed) {
    if (known.has(path)) continue;
    const st = await lstat(path).catch(() => null);
    if (st === null) {
      // A directory moved or removed as a whole: its files may never be named themselves.
      const prefix = path.endsWith(sep) ? path : path + sep;
      for (const file of known.keys()) if (file.startsWith(prefix)) return 'all';
      // Gone, and never read: a temporary file an editor renamed over a manifest (which is named too).
      continue;
    }
    if (st.isSymbolicLink() || st.isDirectory()) return 'all';
    if (isManifestName(basename(path))) scope = 'list';
  }
  return scope;
}

function hashResources(entries: readonly SnapshotEntry[]): string {
  const h = createHash('sha256');
  for (const e of entries) h.update(JSON.stringify(e.resource));
  return h.digest('hex');
}

const EMPTY_HASH = hashResources([]);

function firstErrorLine(diagnostics: Diagnostic[]): number {
  for (const d of diagnostics) if (d.severity === 'error' && d.source) return d.source.line;
  return 1;
}
