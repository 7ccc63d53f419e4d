// Expands command-line paths into manifest files: a file is read whatever its name; a directory
// is walked recursively for .yaml/.yml/.json, in sorted order so the resource order (and so
// duplicate resolution) is deterministic. Hidden entries are skipped: editor swap files, and the
// `..data` links Kubernetes uses for mounted ConfigMaps.

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

  const add = async (file: string, into: string[]): Promise<void> => {
    const real = await realpath(file).catch(() => file);
    if (seen.has(real)) return;
    seen.add(real);
    into.push(file);
  };

  const walk = async (dir: string, depth: number, into: string[]): Promise<void> => {
    if (depth > MAX_DEPTH) return;
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (err) {
      out.missing.push({ path: dir, code: 'READ_ERROR', message: `cannot read directory: ${(err as Error).message}` });
      return;
    }
    for (const name of names.sort()) {
      if (name.startsWith('.')) continue;
      const full = join(dir, name);
      const st = await stat(full).catch(() => null);
      if (st?.isDirectory()) await walk(full, depth + 1, into);
      else if (st?.isFile() && isManifestName(name)) await add(full, into);
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
    if (st.isDirectory()) await walk(p, 0, files);
    else await add(p, files);
  }
  return out;
}
