// Expands command-line paths into manifest files: a file is read whatever its name; a directory
// is walked recursively for .yaml/.yml/.json, in sorted order so the resource order (and so
// duplicate resolution) is deterministic. Hidden entries are skipped: editor swap files, and the
// `..data` links Kubernetes uses for mounted ConfigMaps.

import type { Dirent } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';

export const MANIFEST_EXTENSIONS: readonly string[] = ['.yaml', '.yml', '.json'];

export function isManifestName(name: string): boolean {
  return !name.startsWith('.') && MANIFEST_EXTENSIONS.some((ext) => name.endsWith(ext));
}

export interface MissingPath {
  path: string;
  code: 'PATH_NOT_FOUND' | 'READ_ERROR';
  message: string;
}

export interface ListedFiles {
  /** For each given path, the files it expands to (a file read through two paths is listed once). */
  byPath: Map<string, string[]>;
  missing: MissingPath[];
}

/** Symlinked directories can loop; no real manifest tree is this deep. */
const MAX_DEPTH = 32;

export async function listManifestFiles(paths: readonly string[]): Promise<ListedFiles> {
  const seen = new Set<string>();
  const out: ListedFiles = { byPath: new Map(), missing: [] };

  const addReal = (file: string, real: string, into: string[]): void => {
    if (seen.has(real)) return;
    seen.add(real);
    into.push(file);
  };
  const add = async (file: string, into: string[]): Promise<void> => {
    addReal(file, await realpath(file).catch(() => file), into);
  };

  // Entry types come with the listing; only symbolic links cost a stat (and a realpath, for the
  // de-duplication of files reached twice). A directory's real path is resolved once.
  const walk = async (dir: string, realDir: string, depth: number, into: string[]): Promise<void> => {
    if (depth > MAX_DEPTH) return;
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      out.missing.push({ path: dir, code: 'READ_ERROR', message: `cannot read directory: ${(err as Error).message}` });
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const full = join(dir, e.name);
      if (e.isSymbolicLink()) {
        const st = await stat(full).catch(() => null);
        if (st?.isDirectory()) await walk(full, await realpath(full).catch(() => full), depth + 1, into);
        else if (st?.isFile() && isManifestName(e.name)) await add(full, into);
      } else if (e.isDirectory()) await walk(full, join(realDir, e.name), depth + 1, into);
      else if (e.isFile() && isManifestName(e.name)) addReal(full, join(realDir, e.name), into);
    }
  };

  for (const p of paths) {
    const files: string[] = [];
    out.byPath.set(p, files);
    let st: Awaited<ReturnType<typeof stat>>;
    try {
      st = await stat(p);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      out.missing.push(
        code === 'ENOENT'
          ? { path: p, code: 'PATH_NOT_FOUND', message: `no such file or directory: ${p}` }
          : { path: p, code: 'READ_ERROR', message: `cannot read ${p}: ${(err as Error).message}` },
      );
      continue;
    }
    if (st.isDirectory()) await walk(p, await realpath(p).catch(() => p), 0, files);
    else await add(p, files);
  }
  return out;
}
