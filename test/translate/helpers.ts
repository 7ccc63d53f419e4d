// Test helpers: build a Snapshot from YAML text the way the file provider would (without its
// validation and defaulting, which the translator must not depend on).

import { parseAllDocuments } from 'yaml';
import type { Resource } from '../../src/api/types.ts';
import { Snapshot } from '../../src/provider/snapshot.ts';

export const CONTROLLER = 'portunus.dev/gateway-controller';
export const NOW = '2026-01-01T00:00:00Z';

export function resourcesFromYaml(text: string): Resource[] {
  const out: Resource[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw doc.errors[0];
    const value = doc.toJS() as Resource | null;
    if (value && typeof value === 'object' && value.kind && value.metadata) out.push(value);
  }
  return out;
}

export function snapshotFromYaml(text: string): Snapshot {
  return new Snapshot(resourcesFromYaml(text).map((resource) => ({ resource })));
}
