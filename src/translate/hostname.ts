// Hostname matching between listeners and routes (HTTPRoute/GRPCRoute/TLSRoute `hostnames`).
// A wildcard "*.example.com" is a suffix match of one or more labels: it matches "a.example.com"
// and "a.b.example.com" but not "example.com".

/** True when `host` (exact or wildcard) lies within `pattern` (exact, wildcard or "*" for any). */
export function within(host: string, pattern: string): boolean {
  if (host === pattern || pattern === '*') return true;
  if (!pattern.startsWith('*.')) return false;
  const suffix = pattern.slice(1); // ".example.com"
  // "*.a.example.com" and "x.example.com" are both within "*.example.com".
  return host.endsWith(suffix) && host.length > suffix.length;
}

/**
 * The hostnames a route serves on a listener. A listener without hostname accepts every route
 * hostname; a route without hostnames takes the listener's. When both are set, each route hostname
 * is kept if it matches the listener hostname, and a route wildcard wider than the listener's
 * (route "*.com", listener "foo.example.com") narrows to the listener hostname.
 *
 * Returns null when both are set and nothing intersects (the route does not attach: Accepted=False,
 * NoMatchingListenerHostname). An empty array never comes back; "*" stands for any host.
 * The result is deduplicated and in route order.
 */
export function intersectHostnames(
  listenerHostname: string | null | undefined,
  routeHostnames: readonly string[] | undefined,
): string[] | null {
  const routes = (routeHostnames ?? []).map((h) => h.toLowerCase());
  const listener = listenerHostname ? listenerHostname.toLowerCase() : null;
  if (routes.length === 0) return [listener ?? '*'];
  if (listener === null) return dedupe(routes);
  const out: string[] = [];
  for (const h of routes) {
    if (within(h, listener)) out.push(h);
    else if (within(listener, h)) out.push(listener);
  }
  return out.length === 0 ? null : dedupe(out);
}

function dedupe(list: string[]): string[] {
  // Hostname lists are short (at most 16); most have no duplicates, and then the list is returned as is.
  for (let i = 1; i < list.length; i++) {
    if (list.lastIndexOf(list[i]!, i - 1) !== -1) return [...new Set(list)];
  }
  return list;
}

/**
 * Orders virtual host names most specific first, as a data plane that takes the first match
 * needs them: exact names before wildcards; wildcards with more characters first (so
 * "*.a.example.com" before "*.example.com"); "*" (any host) last; ties alphabetical.
 */
export function compareHostnameSpecificity(a: string, b: string): number {
  const rank = (h: string) => (h === '*' ? 2 : h.startsWith('*.') ? 1 : 0);
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra - rb;
  if (ra === 1 && a.length !== b.length) return b.length - a.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** True when any hostname of `a` could serve the same request host as one of `b`. */
export function hostnamesOverlap(a: readonly string[], b: readonly string[]): boolean {
  for (const x of a) {
    for (const y of b) {
      if (x === '*' || y === '*' || within(x, y) || within(y, x)) return true;
    }
  }
  return false;
}
