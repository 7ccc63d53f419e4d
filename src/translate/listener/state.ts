// The translator's view of one listener (of a Gateway or of a ListenerSet): the ListenerContext
// that route passes see, plus the verdicts the gateway pass reached, which finalize turns into
// the listener's status conditions.

import type { Condition, Listener, ListenerSet, ListenerStatus, RouteGroupKind } from '../../api/types.ts';
import type { CertificateIR, ListenerIR, ListenerProtocol } from '../../ir/types.ts';
import type { Snapshot } from '../../provider/snapshot.ts';
import { ConditionType, condition, mergeOwnedConditions } from '../conditions.ts';
import { GATEWAY_GROUP, type GatewayContext, type ListenerContext } from '../context.ts';
import { matchesLabelSelector } from '../labelselector.ts';

/** A condition verdict before it gets a timestamp. */
export interface Verdict {
  status: boolean;
  reason: string;
  message: string;
}

export const SUPPORTED_PROTOCOLS: readonly ListenerProtocol[] = ['HTTP', 'HTTPS', 'TLS', 'TCP', 'UDP'];

export function isSupportedProtocol(p: string): p is ListenerProtocol {
  return (SUPPORTED_PROTOCOLS as readonly string[]).includes(p);
}

/** Route kinds a listener of this protocol can serve, in the order they are reported. */
export function routeKindsForProtocol(protocol: string): string[] {
  switch (protocol) {
    case 'HTTP':
    case 'HTTPS':
      return ['HTTPRoute', 'GRPCRoute'];
    case 'TLS':
      return ['TLSRoute'];
    case 'TCP':
      return ['TCPRoute'];
    case 'UDP':
      return ['UDPRoute'];
    default:
      return [];
  }
}

export interface ListenerState extends ListenerContext {
  readonly gateway: GatewayContext;
  supportedKinds: RouteGroupKind[];
  ready: boolean;
  /** Position in its owner's spec.listeners (status is reported in spec order). */
  readonly index: number;
  /** Validation verdicts. `accepted` False means the listener takes no part in conflict checks. */
  accepted: Verdict;
  resolvedRefs: Verdict;
  conflicted: Verdict | null;
  /** Reason the listener cannot be programmed although accepted (e.g. no usable certificate). */
  notProgrammed: Verdict | null;
  overlappingTLS: Verdict | null;
  /** Valid certificates (Terminate mode). */
  certificates: CertificateIR[];
  /** Set once conflicts are resolved; Programmed listeners make it into the IR. */
  programmed: boolean;
}

const OK_ACCEPTED: Verdict = { status: true, reason: 'Accepted', message: 'Listener is accepted' };
const OK_REFS: Verdict = { status: true, reason: 'ResolvedRefs', message: 'All references are resolved' };

/** Labels of a namespace; one without a Namespace object has only kubernetes.io/metadata.name. */
export function namespaceLabels(snapshot: Snapshot, namespace: string): Record<string, string> {
  const ns = snapshot.get('Namespace', undefined, namespace);
  return { ...(ns?.metadata.labels ?? {}), 'kubernetes.io/metadata.name': namespace };
}

export function newListenerState(
  snapshot: Snapshot,
  gateway: GatewayContext,
  listener: Listener,
  index: number,
  listenerSet: ListenerSet | undefined,
): ListenerState {
  const ownerNamespace = listenerSet ? (listenerSet.metadata.namespace ?? 'default') : gateway.namespace;
  const ownerName = listenerSet ? listenerSet.metadata.name : gateway.name;
  const protocol = (isSupportedProtocol(listener.protocol) ? listener.protocol : 'TCP') as ListenerProtocol;
  // Hostname only means something for protocols that match on it (spec: ignored otherwise).
  const usesHostname = protocol === 'HTTP' || protocol === 'HTTPS' || protocol === 'TLS';
  const ir: ListenerIR = {
    name: `${ownerNamespace}/${ownerName}/${listener.name}`,
    sectionName: listener.name,
    port: listener.port,
    protocol,
    hostname: usesHostname ? (listener.hostname ?? null) : null,
  };
  if (protocol === 'HTTP' || protocol === 'HTTPS') ir.virtualHosts = [];
  if (protocol === 'TLS') ir.tlsRoutes = [];
  const labelCache = new Map<string, boolean>();
  const namespaces = listener.allowedRoutes?.namespaces;
  const from = namespaces?.from ?? 'Same';
  const state: ListenerState = {
    gateway,
    ...(listenerSet ? { listenerSet } : {}),
    listener,
    index,
    supportedKinds: [],
    ready: false,
    attachedRoutes: 0,
    ir,
    accepted: OK_ACCEPTED,
    resolvedRefs: OK_REFS,
    conflicted: null,
    notProgrammed: null,
    overlappingTLS: null,
    certificates: [],
    programmed: false,
    allowsNamespace(ns: string): boolean {
      switch (from) {
        case 'All':
          return true;
        case 'Same':
          // "Same" is the namespace of the object that defines the listener (ListenerSet or Gateway).
          return ns === ownerNamespace;
        case 'Selector': {
          const selector = namespaces?.selector;
          if (!selector) return false;
          let ok = labelCache.get(ns);
          if (ok === undefined) {
            ok = matchesLabelSelector(selector, namespaceLabels(snapshot, ns));
            labelCache.set(ns, ok);
          }
          return ok;
        }
        default:
          return false;
      }
    },
  };
  return state;
}

/** Human-readable listener id used in messages: "ns/owner/name". */
export function listenerDisplayName(l: ListenerState): string {
  return l.ir.name;
}

export function isConflictCandidate(l: ListenerState): boolean {
  return l.accepted.status;
}

/**
 * Condition verdicts of a listener after all passes, in the order they are reported:
 * Accepted, Programmed, ResolvedRefs, Conflicted, then OverlappingTLSConfig when present
 * (a negative-polarity condition that must not be set when False).
 */
export function listenerVerdicts(l: ListenerState, parentProblem: Verdict | null): Verdict[] {
  const accepted = l.conflicted ? { ...l.conflicted, status: false } : l.accepted;
  let programmed: Verdict;
  if (!accepted.status) {
    programmed = l.conflicted
      ? { status: false, reason: l.conflicted.reason, message: l.conflicted.message }
      : { status: false, reason: 'Invalid', message: 'Listener is not accepted (see the Accepted condition)' };
  } else if (parentProblem) {
    programmed = parentProblem;
  } else if (l.notProgrammed) {
    programmed = l.notProgrammed;
  } else {
    programmed = { status: true, reason: 'Programmed', message: 'Listener is programmed' };
  }
  const out: Verdict[] = [accepted, programmed, l.resolvedRefs];
  out.push(l.conflicted ?? { status: false, reason: 'NoConflicts', message: 'No conflicts' });
  if (l.overlappingTLS) out.push(l.overlappingTLS);
  return out;
}

const VERDICT_TYPES = [
  ConditionType.Accepted,
  ConditionType.Programmed,
  ConditionType.ResolvedRefs,
  ConditionType.Conflicted,
  ConditionType.OverlappingTLSConfig,
];

export function listenerStatus(
  l: ListenerState,
  verdicts: Verdict[],
  generation: number | undefined,
  now: string,
  previous: ListenerStatus | undefined,
): ListenerStatus {
  const next: Condition[] = verdicts.map((v, i) =>
    condition({ type: VERDICT_TYPES[i]!, status: v.status, reason: v.reason, message: v.message }, generation, now),
  );
  return {
    name: l.listener.name,
    supportedKinds: l.supportedKinds.map((k) => ({ group: k.group ?? GATEWAY_GROUP, kind: k.kind })),
    attachedRoutes: l.attachedRoutes,
    conditions: mergeOwnedConditions(previous?.conditions, next),
  };
}
