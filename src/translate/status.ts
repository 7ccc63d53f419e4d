// Status output: the order statuses are reported in, and the documents `portunus translate
// --to status` prints (every input Gateway API resource, with its computed status when we
// manage it and its own status otherwise).

import type { Resource } from '../api/types.ts';
import { compareResources, type Snapshot } from '../provider/snapshot.ts';
import { type StatusUpdate, statusKey, type TranslateResult } from './context.ts';

/** Kinds in output order; resources of other kinds are not status documents. */
export const STATUS_KIND_ORDER: readonly string[] = [
  'GatewayClass',
  'Gateway',
  'ListenerSet',
  'XListenerSet',
  'HTTPRoute',
  'GRPCRoute',
  'TLSRoute',
  'TCPRoute',
  'UDPRoute',
  'ReferenceGrant',
  'BackendTLSPolicy',
  'Backend',
];

function kindRank(kind: string): number {
  const i = STATUS_KIND_ORDER.indexOf(kind);
  return i < 0 ? STATUS_KIND_ORDER.length : i;
}

/** Stable order for status updates: kind (as above, unknown kinds last by name), namespace, name. */
export function compareStatusResources(a: Resource, b: Resource): number {
  const ka = kindRank(a.kind);
  const kb = kindRank(b.kind);
  if (ka !== kb) return ka - kb;
  if (a.kind !== b.kind) return a.kind < b.kind ? -1 : 1;
  return compareResources(a, b);
}

export function sortStatuses(statuses: Iterable<StatusUpdate>): StatusUpdate[] {
  return [...statuses].sort((a, b) => compareStatusResources(a.resource, b.resource));
}

/**
 * Every Gateway API resource of the snapshot, with `.status` replaced by the computed one when the
 * translator manages it; the others keep their status as read. Inputs are not modified.
 */
export function renderStatusDocuments(snapshot: Snapshot, result: TranslateResult): Resource[] {
  const computed = new Map(result.statuses.map((s) => [statusKey(s.resource), s.status]));
  const out: Resource[] = [];
  for (const kind of STATUS_KIND_ORDER) {
    for (const r of snapshot.list(kind)) {
      const key = statusKey(r);
      if (!computed.has(key)) {
        out.push(r);
        continue;
      }
      const { status: _old, ...rest } = r;
      out.push({ ...rest, status: computed.get(key) });
    }
  }
  return out;
}
