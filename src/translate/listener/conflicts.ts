// Listener conflicts (spec: "Distinct Listeners") and overlapping TLS configuration.
//
// Listeners are compared in precedence groups: the Gateway's own listeners first, then each
// attached ListenerSet (oldest first, then namespace/name). Inside a group nobody wins: every
// listener of an indistinct pair is Conflicted. A listener that conflicts with one accepted in an
// earlier group loses to it. Listeners that failed validation take no part (so they cannot
// block valid ones).
//
// Compatibility on one port: HTTP with HTTP; HTTPS and TLS with each other (the data plane picks
// the listener by SNI before deciding whether to terminate); TCP alone; UDP is a separate
// transport, so it shares a port with anything but another UDP listener. Listeners of one
// compatible family must differ by hostname (HTTP, HTTPS, TLS); TCP and UDP have no hostname.

import { isConflictCandidate, type ListenerState, type Verdict } from './state.ts';

type Family = 'HTTP' | 'TLS' | 'TCP' | 'UDP';

function family(l: ListenerState): Family {
  switch (l.ir.protocol) {
    case 'HTTPS':
    case 'TLS':
      return 'TLS';
    default:
      return l.ir.protocol;
  }
}

/** Why two accepted listeners cannot both be served, or null when they are distinct. */
export function conflictBetween(a: ListenerState, b: ListenerState): 'ProtocolConflict' | 'HostnameConflict' | null {
  if (a.listener.port !== b.listener.port) return null;
  const fa = family(a);
  const fb = family(b);
  if ((fa === 'UDP') !== (fb === 'UDP')) return null;
  if (fa !== fb || fa === 'TCP' || fa === 'UDP') return 'ProtocolConflict';
  return (a.ir.hostname ?? '') === (b.ir.hostname ?? '') ? 'HostnameConflict' : null;
}

interface Mark {
  reason: 'ProtocolConflict' | 'HostnameConflict';
  others: ListenerState[];
}

function ownerNamespace(l: ListenerState): string {
  return l.listenerSet ? (l.listenerSet.metadata.namespace ?? 'default') : l.gateway.namespace;
}

// Listeners of other namespaces are not named: a ListenerSet owner should not learn about
// listeners it has no access to.
function describeOthers(l: ListenerState, others: ListenerState[]): string {
  const ns = ownerNamespace(l);
  const names = [
    ...new Set(others.map((o) => (ownerNamespace(o) === ns ? o.ir.name : 'a listener in another namespace'))),
  ];
  return names.sort().join(', ');
}

function conflictVerdict(l: ListenerState, mark: Mark): Verdict {
  const port = l.listener.port;
  const others = describeOthers(l, mark.others);
  const single = (family(l) === 'TCP' || family(l) === 'UDP') && mark.others.every((o) => family(o) === family(l));
  let message: string;
  if (mark.reason === 'HostnameConflict') {
    const host = l.ir.hostname === null ? 'no hostname' : `hostname "${l.ir.hostname}"`;
    message = `port ${port} with ${host} is also used by ${others}`;
  } else if (single) {
    message = `port ${port} serves one ${l.ir.protocol} listener; it is also used by ${others}`;
  } else {
    message = `port ${port} is also used by ${others} with an incompatible protocol`;
  }
  return { status: true, reason: mark.reason, message };
}

/**
 * Sets `conflicted` on every listener that loses; `groups` are in precedence order and
 * `previous` are winners of earlier calls (so ListenerSets can be checked after the Gateway).
 * Returns the listeners of `groups` that won.
 */
export function resolveConflicts(
  groups: readonly (readonly ListenerState[])[],
  previous: readonly ListenerState[] = [],
): ListenerState[] {
  // Only listeners on one port can conflict: winners are indexed by port.
  const winnersByPort = new Map<number, ListenerState[]>();
  const addWinner = (l: ListenerState) => {
    const list = winnersByPort.get(l.listener.port);
    if (list) list.push(l);
    else winnersByPort.set(l.listener.port, [l]);
  };
  for (const w of previous) addWinner(w);
  const won: ListenerState[] = [];
  for (const group of groups) {
    const candidates = group.filter(isConflictCandidate);
    const marks = new Map<ListenerState, Mark>();
    const mark = (l: ListenerState, reason: Mark['reason'], other: ListenerState) => {
      const m = marks.get(l);
      if (!m) {
        marks.set(l, { reason, others: [other] });
        return;
      }
      if (reason === 'ProtocolConflict' && m.reason !== 'ProtocolConflict') {
        m.reason = reason;
        m.others = [];
      }
      if (reason === m.reason) m.others.push(other);
    };
    for (const l of candidates) {
      for (const w of winnersByPort.get(l.listener.port) ?? []) {
        const r = conflictBetween(l, w);
        if (r) mark(l, r, w);
      }
    }
    // Listeners that lost to an earlier group are out; the rest must be distinct among themselves.
    const remainingByPort = new Map<number, ListenerState[]>();
    for (const l of candidates) {
      if (marks.has(l)) continue;
      const list = remainingByPort.get(l.listener.port);
      if (list) list.push(l);
      else remainingByPort.set(l.listener.port, [l]);
    }
    for (const remaining of remainingByPort.values()) {
      for (let i = 0; i < remaining.length; i++) {
        for (let j = i + 1; j < remaining.length; j++) {
          const a = remaining[i]!;
          const b = remaining[j]!;
          const r = conflictBetween(a, b);
          if (r) {
            mark(a, r, b);
            mark(b, r, a);
          }
        }
      }
    }
    for (const l of candidates) {
      const m = marks.get(l);
      if (m) l.conflicted = conflictVerdict(l, m);
      else {
        addWinner(l);
        won.push(l);
      }
    }
  }
  return won;
}

/** Spec hostname overlap: equal, or a wildcard that covers the other (any depth); no hostname overlaps all. */
export function hostnamesOverlap(a: string | null, b: string | null): boolean {
  if (a === null || b === null) return true;
  if (a === b) return true;
  if (a.startsWith('*.') && b.endsWith(a.slice(1))) return true;
  if (b.startsWith('*.') && a.endsWith(b.slice(1))) return true;
  return false;
}

/**
 * OverlappingTLSConfig on programmed HTTPS listeners sharing a port: connection coalescing can
 * send a request to the wrong listener when their hostnames (or certificate names) overlap.
 * OverlappingCertificates wins when both apply, as the spec asks.
 */
export function detectOverlappingTLS(listeners: readonly ListenerState[]): void {
  const https = listeners.filter((l) => l.programmed && l.ir.protocol === 'HTTPS');
  for (let i = 0; i < https.length; i++) {
    for (let j = i + 1; j < https.length; j++) {
      const a = https[i]!;
      const b = https[j]!;
      if (a.listener.port !== b.listener.port) continue;
      const names = certificatesOverlap(a, b);
      if (names) {
        a.overlappingTLS = overlapVerdict('OverlappingCertificates', a, b, names[0], names[1]);
        b.overlappingTLS = overlapVerdict('OverlappingCertificates', b, a, names[1], names[0]);
      } else if (hostnamesOverlap(a.ir.hostname, b.ir.hostname)) {
        for (const [l, other] of [
          [a, b],
          [b, a],
        ] as const) {
          if (l.overlappingTLS?.reason === 'OverlappingCertificates') continue;
          l.overlappingTLS = overlapVerdict(
            'OverlappingHostnames',
            l,
            other,
            l.ir.hostname ?? '*',
            other.ir.hostname ?? '*',
          );
        }
      }
    }
  }
}

/** The first pair of overlapping certificate names (a's, b's), or null. */
function certificatesOverlap(a: ListenerState, b: ListenerState): [string, string] | null {
  for (const ca of a.certificates) {
    for (const cb of b.certificates) {
      for (const na of ca.dnsNames) {
        for (const nb of cb.dnsNames) {
          if (hostnamesOverlap(na, nb)) return [na, nb];
        }
      }
    }
  }
  return null;
}

// What the other listener has is only named when it lives in the same namespace.
function overlapVerdict(reason: string, l: ListenerState, other: ListenerState, mine: string, theirs: string): Verdict {
  const who = describeOthers(l, [other]);
  const visible = ownerNamespace(other) === ownerNamespace(l);
  const what = reason === 'OverlappingCertificates' ? 'certificate name' : 'hostname';
  const message = visible
    ? `${what} "${mine}" overlaps with ${what} "${theirs}" of ${who} on port ${l.listener.port}`
    : `${what} "${mine}" overlaps with that of ${who} on port ${l.listener.port}`;
  return { status: true, reason, message };
}
