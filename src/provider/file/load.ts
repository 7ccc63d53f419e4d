// The file provider's reading half: manifests (files, directories, stdin) → a Snapshot of
// defaulted, validated resources, plus diagnostics with file:line.
//
// What happens to each object, in order (the same order an API server applies on create):
//   1. kind resolution — apiVersion/kind must be one Portunus reads (api/kinds.ts); anything else
//      is reported as a warning and skipped, never fatal;
//   2. defaults (api/defaults.ts);
//   3. validation (api/validate) — an object with an error is rejected, every other object loads.
// Duplicates (same kind/namespace/name) are resolved by the Snapshot: the first one read wins.

import { readFile } from 'node:fs/promises';
import { applyDefaults } from '../../api/defaults.ts';
import { resolveKind } from '../../api/kinds.ts';
import type { Resource } from '../../api/types.ts';
import { validateResourceDetailed } from '../../api/validate/index.ts';
import { type Diagnostic, type ResourceId, Snapshot, type SnapshotEntry } from '../snapshot.ts';
import { listManifestFiles } from './files.ts';
import { type RawObject, visitManifestText } from './parse.ts';

/** Name used in diagnostics for text read from standard input (`-f -`). */
export const STDIN_NAME = '<stdin>';

export interface LoadInput {
  file: string;
  text: string;
}

export interface LoadResult {
  snapshot: Snapshot;
  /** Everything found, in input order: read/parse errors, unknown kinds, invalid fields, duplicates. */
  diagnostics: Diagnostic[];
  /**
   * Some input could not be read or parsed (a missing or unreadable path, or invalid YAML/JSON).
   * The snapshot still holds everything else; a command exits non-zero, a server keeps serving
   * the file's previous version.
   */
  fatal: boolean;
  /** Paths that could not be read at all. */
  unreadable: string[];
  /** Number of documents that could not be parsed. */
  parseErrors: number;
  /** Files (and stdin) whose text was read. */
  files: string[];
}

function idOf(kind: string, v: Record<string, unknown>, namespaced: boolean): ResourceId {
  const meta = typeof v.metadata === 'object' && v.metadata !== null ? (v.metadata as Record<string, unknown>) : {};
  const name = typeof meta.name === 'string' ? meta.name : '';
  const ns = typeof meta.namespace === 'string' && meta.namespace !== '' ? meta.namespace : 'default';
  return namespaced ? { kind, namespace: ns, name } : { kind, name };
}

/** Turns one raw object into a snapshot entry, or diagnostics explaining why not. */
function admit(raw: RawObject, diagnostics: Diagnostic[]): SnapshotEntry | undefined {
  const v = raw.value;
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    diagnostics.push({
      severity: 'error',
      code: 'INVALID_DOCUMENT',
      message: `document is not an object (got ${Array.isArray(v) ? 'an array' : typeof v}); skipped`,
      source: raw.source,
    });
    return undefined;
  }
  const obj = v as Record<string, unknown>;
  const missing = [
    typeof obj.apiVersion === 'string' && obj.apiVersion ? '' : 'apiVersion not set',
    typeof obj.kind === 'string' && obj.kind ? '' : 'kind not set',
  ].filter(Boolean);
  if (missing.length > 0) {
    diagnostics.push({
      severity: 'error',
      code: 'INVALID_DOCUMENT',
      message: `error validating data: [${missing.join(', ')}]; skipped`,
      source: raw.source,
    });
    return undefined;
  }
  const apiVersion = obj.apiVersion as string;
  const kind = obj.kind as string;
  const resolved = resolveKind(apiVersion, kind);
  if (!resolved) {
    diagnostics.push({
      severity: 'warning',
      code: 'UNKNOWN_KIND',
      message: `no matches for kind "${kind}" in version "${apiVersion}"; skipped`,
      resource: idOf(kind, obj, true),
      source: raw.source,
    });
    return undefined;
  }
  const id = idOf(resolved.kind, obj, resolved.namespaced);
  if (resolved.warning) {
    diagnostics.push({
      severity: 'warning',
      code: 'DEPRECATED_VERSION',
      message: resolved.warning,
      resource: id,
      source: raw.source,
    });
  }
  const resource = applyDefaults({
    ...obj,
    apiVersion: resolved.apiVersion,
    kind: resolved.kind,
  } as unknown as Resource);
  const { errors, warnings } = validateResourceDetailed(resource);
  for (const w of warnings) {
    diagnostics.push({
      severity: 'warning',
      code: 'UNKNOWN_FIELD',
      message: `${w.message} (ignored)`,
      resource: id,
      field: w.field,
      source: raw.locate(w.field) ?? raw.source,
    });
  }
  if (errors.length > 0) {
    for (const e of errors) {
      diagnostics.push({
        severity: 'error',
        code: 'INVALID_FIELD',
        message: e.message,
        resource: id,
        field: e.field,
        source: raw.locate(e.field) ?? raw.source,
      });
    }
    return undefined;
  }
  return { resource, source: raw.source, locate: raw.locate };
}

/**
 * The synchronous core: already-read texts → snapshot. `prior` diagnostics (e.g. read errors)
 * are kept first, and carried in the snapshot's diagnostics too. Used by loadSnapshot, by tests and by
 * anything that has manifest text in hand (stdin, generated input).
 */
export function loadTexts(inputs: readonly LoadInput[], prior: readonly Diagnostic[] = []): LoadResult {
  const diagnostics: Diagnostic[] = [...prior];
  const entries: SnapshotEntry[] = [];
  let parseErrors = 0;
  for (const { file, text } of inputs) {
    if (text.length === 0) {
      // Usually a file caught between truncate and write (an in-place save); a server may prefer
      // to keep the file's previous version rather than drop its resources.
      diagnostics.push({
        severity: 'warning',
        code: 'EMPTY_FILE',
        message: 'file is empty',
        source: { file, line: 1 },
      });
      continue;
    }
    // Objects are admitted as their document is parsed, so parse errors land among the other
    // diagnostics of the file in document order.
    visitManifestText(
      file,
      text,
      (raw) => {
        const entry = admit(raw, diagnostics);
        if (entry) entries.push(entry);
      },
      (d) => {
        parseErrors++;
        diagnostics.push(d);
      },
    );
  }
  const snapshot = new Snapshot(entries, diagnostics);
  return {
    snapshot,
    diagnostics: [...snapshot.diagnostics],
    fatal: parseErrors > 0,
    unreadable: [],
    parseErrors,
    files: inputs.map((i) => i.file),
  };
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Reads paths — files (any extension), directories (recursively: .yaml, .yml, .json, sorted, hidden
 * entries skipped) and `-` for standard input (opts.stdin when given, else process.stdin) — into a
 * snapshot. Never throws for bad input: problems are diagnostics, and `fatal` says whether any
 * input could not be read or parsed.
 */
export async function loadSnapshot(paths: readonly string[], opts: { stdin?: string } = {}): Promise<LoadResult> {
  const readDiagnostics: Diagnostic[] = [];
  const unreadable: string[] = [];
  const inputs: LoadInput[] = [];
  const wantsStdin = paths.includes('-');
  const listed = await listManifestFiles(paths.filter((p) => p !== '-'));
  for (const m of listed.missing) {
    unreadable.push(m.path);
    readDiagnostics.push({ severity: 'error', code: m.code, message: m.message, source: { file: m.path, line: 1 } });
  }
  // Keep the order the user gave: paths in argument order, stdin where `-` appeared.
  let stdinDone = false;
  for (const p of paths) {
    if (p === '-') {
      if (stdinDone) continue;
      stdinDone = true;
      inputs.push({ file: STDIN_NAME, text: opts.stdin ?? (await readStdin()) });
      continue;
    }
    for (const file of listed.byPath.get(p) ?? []) {
      try {
        inputs.push({ file, text: await readFile(file, 'utf8') });
      } catch (err) {
        unreadable.push(file);
        readDiagnostics.push({
          severity: 'error',
          code: 'READ_ERROR',
          message: `cannot read file: ${(err as Error).message}`,
          source: { file, line: 1 },
        });
      }
    }
  }
  if (!wantsStdin && inputs.length === 0 && unreadable.length === 0 && paths.length > 0) {
    readDiagnostics.push({
      severity: 'warning',
      code: 'NO_MANIFESTS',
      message: `no .yaml, .yml or .json files found in ${paths.join(', ')}`,
    });
  }
  const loaded = loadTexts(inputs, readDiagnostics);
  return {
    ...loaded,
    fatal: loaded.fatal || unreadable.length > 0,
    unreadable,
  };
}
