// Per-file source store for `portunus serve`: remembers, for every manifest file, the last version
// that could be parsed, so a half-saved or broken file never takes its resources out of service.
//
// Policy (the same one an API server applies to a stream of writes):
//   - a file that cannot be read or parsed keeps serving its previous good version (or nothing, if
//     it never parsed); the parse error is reported with file:line;
//   - a file that parses but contains resources rejected by validation contributes its valid
//     resources; the rejected ones are left out and reported (like an API server refusing one object);
//   - a deleted file takes its resources away (that is what the user asked for).
// Unchanged files (same bytes) are not parsed again.

import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Diagnostic, Snapshot, SnapshotEntry } from '../provider/snapshot.ts';

/** Extensions read from directories (a file named explicitly is read whatever its name). */
const MANIFEST_EXTENSIONS = ['.yaml', '.yml', '.json'];

/** Loads one file into a snapshot; `fatal` means it could not be read or parsed at all. */
export type FileLoader = (file: string) => Promise<{ snapshot: Snapshot; diagnostics: Diagnostic[]; fatal?: boolean }>;

export interface FileState {
  file: string;
  /** sha256 of the bytes last read. */
  hash: string;
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
  /** Paths given on the command line that no longer exist. */
  missing: string[];
}

function isManifest(name: string): boolean {
  return !name.startsWith('.') && MANIFEST_EXTENSIONS.some((ext) => name.endsWith(ext));
}

/**
 * Expands paths to manifest files: files as given, directories recursively (hidden entries such as
 * editor swap files and Kubernetes' ..data links skipped). Sorted for a stable resource order.
 */
export async function listManifestFiles(paths: readonly string[]): Promise<{ files: string[]; missing: string[] }> {
  const files = new Set<string>();
  const missing: string[] = [];
  const walk = async (dir: string, depth: number): Promise<void> => {
    if (depth > 32) return; // a symlink loop, not a real tree
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      return;
    }
    for (const name of names.sort()) {
      if (name.startsWith('.')) continue;
      const full = join(dir, name);
      const st = await stat(full).catch(() => null);
      if (st?.isDirectory()) await walk(full, depth + 1);
      else if (st?.isFile() && isManifest(name)) files.add(full);
    }
  };
  for (const p of paths) {
    const st = await stat(p).catch(() => null);
    if (!st) missing.push(p);
    else if (st.isDirectory()) await walk(p, 0);
    else files.add(p);
  }
  return { files: [...files], missing };
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
  /** Re-reads the paths; only files whose bytes changed are parsed again. */
  read(): Promise<SourceRead>;
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

    const loaded = await load(file);
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
        goodSince: prev?.goodSince ?? null,
        diagnostics,
      };
    }
    return { file, hash, parsed: true, entries: snapshotEntries(loaded.snapshot), goodSince: clock(), diagnostics };
  }

  return {
    async read(): Promise<SourceRead> {
      const { files, missing } = await listManifestFiles(paths);
      const next = await Promise.all(files.map(readOne));
      states.clear();
      const out: SourceRead = { entries: [], diagnostics: [], files: [], missing };
      for (const s of next) {
        if (!s) continue;
        states.set(s.file, s);
        out.files.push(s);
        out.entries.push(...s.entries);
        out.diagnostics.push(...s.diagnostics);
      }
      for (const p of missing) {
        out.diagnostics.push({
          severity: 'error',
          code: 'PATH_NOT_FOUND',
          message: `no such file or directory: ${p}`,
          source: { file: p, line: 1 },
        });
      }
      return out;
    },
  };
}

function firstErrorLine(diagnostics: Diagnostic[]): number {
  for (const d of diagnostics) if (d.severity === 'error' && d.source) return d.source.line;
  return 1;
}
