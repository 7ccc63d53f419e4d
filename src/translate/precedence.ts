// Route match precedence within one virtual host. A data plane takes the first matching route,
// so the translator sorts routes here, most specific first.
//
// HTTPRoute (spec, HTTPRouteRule.matches), continuing on ties:
//   1. Exact path match before any other path match.
//   2. RegularExpression path matches next. Their position is implementation-specific in the
//      spec; Portunus (like Envoy Gateway) puts them after Exact and before PathPrefix, longer
//      patterns first.
//   3. PathPrefix with the most characters ("/" counts as no path match at all).
//   4. A method match before none.
//   5. The most header matches.
//   6. The most query param matches.
// GRPCRoute (spec, GRPCRouteRule.matches): the most characters in the matching service, then in
// the method, then the most header matches; Portunus ranks RegularExpression method matches after
// Exact ones and before matches without a method. (Hostname specificity: see virtualhosts.ts.)
// Ties across routes: the oldest creationTimestamp, then "{namespace}/{name}" alphabetically;
// within a route: rule order, then match order.

import type { HTTPMatchIR } from '../ir/types.ts';

/** What precedence needs to know about one (route, rule, match). */
export interface PrecedenceEntry {
  match: HTTPMatchIR;
  /** creationTimestamp of the route (RFC 3339); absent sorts as oldest-unknown, after dated ones. */
  creationTimestamp?: string | undefined;
  namespace: string;
  name: string;
  ruleIndex: number;
  matchIndex: number;
}

function pathRank(m: HTTPMatchIR): number {
  switch (m.path?.type) {
    case 'Exact':
      return 0;
    case 'RegularExpression':
      return 1;
    default:
      return 2;
  }
}

function pathLength(m: HTTPMatchIR): number {
  const p = m.path;
  if (!p) return 0;
  if (p.type === 'PathPrefix' && p.value === '/') return 0;
  return p.value.length;
}

/** Compares two HTTPRoute matches by the spec's match criteria only (negative: a first). */
export function compareHTTPMatch(a: HTTPMatchIR, b: HTTPMatchIR): number {
  const ra = pathRank(a);
  const rb = pathRank(b);
  if (ra !== rb) return ra - rb;
  const la = pathLength(a);
  const lb = pathLength(b);
  if (la !== lb) return lb - la;
  const ma = a.method ? 1 : 0;
  const mb = b.method ? 1 : 0;
  if (ma !== mb) return mb - ma;
  if (a.headers.length !== b.headers.length) return b.headers.length - a.headers.length;
  return b.queryParams.length - a.queryParams.length;
}

// Exact method matches, then RegularExpression ones (their rank is implementation-specific, and a
// pattern's length says little about how much it matches), then matches without a method.
function grpcRank(m: HTTPMatchIR): number {
  if (!m.grpc?.service && !m.grpc?.method) return 2;
  return m.grpc.type === 'RegularExpression' ? 1 : 0;
}

/** Compares two GRPCRoute matches: service characters, method characters, header count. */
export function compareGRPCMatch(a: HTTPMatchIR, b: HTTPMatchIR): number {
  const ra = grpcRank(a);
  const rb = grpcRank(b);
  if (ra !== rb) return ra - rb;
  const sa = a.grpc?.service?.length ?? 0;
  const sb = b.grpc?.service?.length ?? 0;
  if (sa !== sb) return sb - sa;
  const ma = a.grpc?.method?.length ?? 0;
  const mb = b.grpc?.method?.length ?? 0;
  if (ma !== mb) return mb - ma;
  return b.headers.length - a.headers.length;
}

/** Oldest first; a missing timestamp sorts after any present one. RFC 3339 UTC strings sort lexically. */
export function compareAge(a: string | undefined, b: string | undefined): number {
  if (a === b) return 0;
  if (a === undefined) return 1;
  if (b === undefined) return -1;
  // Fast path: two canonical "YYYY-MM-DDTHH:MM:SSZ" stamps (what the API server writes) order
  // lexically; anything else (fractions, offsets) is compared as instants.
  if (a.length === 20 && b.length === 20 && a.charCodeAt(19) === 90 && b.charCodeAt(19) === 90) return a < b ? -1 : 1;
  const ta = Date.parse(a);
  const tb = Date.parse(b);
  if (!Number.isNaN(ta) && !Number.isNaN(tb) && ta !== tb) return ta - tb;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Route-level tie break shared by every kind: oldest, then "{namespace}/{name}". */
export function compareRouteIdentity(
  a: { creationTimestamp?: string | undefined; namespace: string; name: string },
  b: { creationTimestamp?: string | undefined; namespace: string; name: string },
): number {
  const age = compareAge(a.creationTimestamp, b.creationTimestamp);
  if (age !== 0) return age;
  return compareNamespacedName(a.namespace, a.name, b.namespace, b.name);
}

/**
 * Orders "{namespace}/{name}" strings alphabetically without building them (this runs inside
 * sorts of every virtual host). Namespaces that differ decide alone: compare them as if each
 * were followed by "/".
 */
export function compareNamespacedName(an: string, a: string, bn: string, b: string): number {
  if (an === bn) return a < b ? -1 : a > b ? 1 : 0;
  const n = Math.min(an.length, bn.length);
  for (let i = 0; i < n; i++) {
    const d = an.charCodeAt(i) - bn.charCodeAt(i);
    if (d !== 0) return d;
  }
  const slash = 47;
  return an.length < bn.length ? slash - bn.charCodeAt(n) : an.charCodeAt(n) - slash;
}

/** Full order of HTTPRoute-derived entries in one virtual host. */
export function compareHTTPPrecedence(a: PrecedenceEntry, b: PrecedenceEntry): number {
  return compareMatchThenIdentity(compareHTTPMatch(a.match, b.match), a, b);
}

/** Full order of GRPCRoute-derived entries in one virtual host. */
export function compareGRPCPrecedence(a: PrecedenceEntry, b: PrecedenceEntry): number {
  return compareMatchThenIdentity(compareGRPCMatch(a.match, b.match), a, b);
}

/**
 * Mixed HTTPRoute/GRPCRoute entries only share a virtual host when their hostnames overlap, which
 * the spec resolves by rejecting one of the routes; still, the order must be total. gRPC entries
 * (identified by `match.grpc`) come first: they only match gRPC paths, HTTP ones are wider.
 */
export function compareRoutePrecedence(a: PrecedenceEntry, b: PrecedenceEntry): number {
  const ga = a.match.grpc ? 0 : 1;
  const gb = b.match.grpc ? 0 : 1;
  if (ga !== gb) return ga - gb;
  return ga === 0 ? compareGRPCPrecedence(a, b) : compareHTTPPrecedence(a, b);
}

function compareMatchThenIdentity(byMatch: number, a: PrecedenceEntry, b: PrecedenceEntry): number {
  if (byMatch !== 0) return byMatch;
  const id = compareRouteIdentity(a, b);
  if (id !== 0) return id;
  if (a.ruleIndex !== b.ruleIndex) return a.ruleIndex - b.ruleIndex;
  return a.matchIndex - b.matchIndex;
}
