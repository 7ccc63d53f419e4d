// A Snapshot is the immutable, provider-blind set of resources the translator reads.
// Both providers (file, kubernetes) build one; everything downstream only sees this shape.

import type { Resource } from '../api/types.ts';

/** Where a resource (or a field of it) came from, for error messages. */
export interface SourcePosition {
  file: string;
  line: number;
  column?: number;
}

/** Identity of a resource in messages and indexes: kind/namespace/name. */
export interface ResourceId {
  kind: string;
  namespace?: string;
  name: string;
}

export type Severity = 'error' | 'warning';

/** A problem found while reading or validating input. Never fatal on its own. */
export interface Diagnostic {
  severity: Severity;
  /** Stable code, e.g. PARSE_ERROR, UNKNOWN_KIND, INVALID_FIELD, DUPLICATE_RESOURCE. */
  code: string;
  message: string;
  resource?: ResourceId;
  /** Field path in the resource, e.g. spec.listeners[0].hostname. */
  field?: string;
  source?: SourcePosition;
}

/** An entry in the snapshot: the (defaulted, validated) object and where it came from. */
export interface SnapshotEntry {
  resource: Resource;
  source?: SourcePosition;
  /** Locate a field path inside this resource's source document (file provider only). */
  locate?: (fieldPath: string) => SourcePosition | undefined;
}

export function resourceKey(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

export function formatResourceId(id: ResourceId): string {
  return id.namespace ? `${id.kind}/${id.namespace}/${id.name}` : `${id.kind}/${id.name}`;
}

export function formatDiagnostic(d: Diagnostic): string {
  const where = d.source ? `${d.source.file}:${d.source.line}: ` : '';
  const what = d.resource ? `${formatResourceId(d.resource)}: ` : '';
  const field = d.field ? `${d.field}: ` : '';
  return `${where}${d.severity}: ${what}${field}${d.message}`;
}

export class Snapshot {
  readonly #byKind = new Map<string, Map<string, SnapshotEntry>>();
  readonly diagnostics: readonly Diagnostic[];

  /** Entries must already be defaulted and validated; later duplicates of kind/ns/name are rejected. */
  constructor(entries: Iterable<SnapshotEntry>, diagnostics: Diagnostic[] = []) {
    const diags = [...diagnostics];
    for (const entry of entries) {
      const { kind, metadata } = entry.resource;
      let m = this.#byKind.get(kind);
      if (!m) {
        m = new Map();
        this.#byKind.set(kind, m);
      }
      const key = resourceKey(metadata.namespace, metadata.name);
      if (m.has(key)) {
        diags.push({
          severity: 'error',
          code: 'DUPLICATE_RESOURCE',
          message: `duplicate resource; the first definition${describeSource(m.get(key)!)} is used`,
          resource: { kind, namespace: metadata.namespace, name: metadata.name },
          ...(entry.source ? { source: entry.source } : {}),
        });
        continue;
      }
      m.set(key, entry);
    }
    this.diagnostics = diags;
  }

  get(kind: string, namespace: string | undefined, name: string): Resource | undefined {
    return this.#byKind.get(kind)?.get(resourceKey(namespace, name))?.resource;
  }

  entry(kind: string, namespace: string | undefined, name: string): SnapshotEntry | undefined {
    return this.#byKind.get(kind)?.get(resourceKey(namespace, name));
  }

  /** All resources of a kind, sorted by namespace then name (stable order for the translator). */
  list<T extends Resource = Resource>(kind: string): T[] {
    const m = this.#byKind.get(kind);
    if (!m) return [];
    return [...m.values()].map((e) => e.resource as T).sort(compareResources);
  }

  kinds(): string[] {
    return [...this.#byKind.keys()].sort();
  }

  /** Every resource, in a stable order: by kind, namespace, name. */
  all(): Resource[] {
    return this.kinds().flatMap((k) => this.list(k));
  }
}

function describeSource(e: SnapshotEntry): string {
  return e.source ? ` (${e.source.file}:${e.source.line})` : '';
}

export function compareResources(a: Resource, b: Resource): number {
  const an = a.metadata.namespace ?? '';
  const bn = b.metadata.namespace ?? '';
  if (an !== bn) return an < bn ? -1 : 1;
  const a2 = a.metadata.name;
  const b2 = b.metadata.name;
  return a2 < b2 ? -1 : a2 > b2 ? 1 : 0;
}
