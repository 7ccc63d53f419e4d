// Request matching against a compiled RouteTable. No allocation unless a route needs the query.
import {
  type CompiledMatch,
  type CompiledStringMatch,
  PATH_EXACT,
  PATH_PREFIX,
  PATH_REGEX,
  type RouteIndex,
  type RouteTable,
} from './compile.ts';

/** What the router needs to know about a request, whatever the protocol. */
export interface RequestView {
  readonly method: string;
  /** Path without the query string. */
  readonly routePath: string;
  /** Raw query string without '?', or '' when absent. */
  readonly routeQuery: string;
  /** Value of a header (lower-case name); several lines are joined with ','. */
  header(name: string): string | undefined;
}

export function pathMatches(m: CompiledMatch, path: string): boolean {
  switch (m.pathKind) {
    case PATH_EXACT:
      return path === m.pathValue;
    case PATH_PREFIX: {
      // Element-wise: "/foo" matches "/foo", "/foo/" and "/foo/bar", never "/foobar".
      const v = m.pathValue;
      if (!path.startsWith(v)) return false;
      return path.length === v.length || path.charCodeAt(v.length) === 47;
    }
    case PATH_REGEX:
      return m.pathRegex!.test(path);
    default:
      return true;
  }
}

function stringMatches(m: CompiledStringMatch, value: string | undefined): boolean {
  if (value === undefined) return false;
  return m.exact !== null ? value === m.exact : m.regex!.test(value);
}

/** Parses a query string into first-value-wins pairs (the Gateway API matches the first occurrence). */
export function parseQuery(query: string): Map<string, string> {
  const out = new Map<string, string>();
  if (query === '') return out;
  for (const part of query.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = decodeComponent(eq === -1 ? part : part.slice(0, eq));
    if (out.has(name)) continue;
    out.set(name, eq === -1 ? '' : decodeComponent(part.slice(eq + 1)));
  }
  return out;
}

function decodeComponent(s: string): string {
  if (s.indexOf('%') === -1 && s.indexOf('+') === -1) return s;
  try {
    return decodeURIComponent(s.replaceAll('+', ' '));
  } catch {
    return s;
  }
}

export function matches(m: CompiledMatch, req: RequestView, query: Map<string, string> | null): boolean {
  if (m.method !== null && m.method !== req.method) return false;
  if (!pathMatches(m, req.routePath)) return false;
  const headers = m.headers;
  for (let i = 0; i < headers.length; i++) {
    const h = headers[i]!;
    if (!stringMatches(h, req.header(h.name))) return false;
  }
  const q = m.query;
  if (q.length > 0) {
    for (let i = 0; i < q.length; i++) {
      const p = q[i]!;
      if (!stringMatches(p, query!.get(p.name))) return false;
    }
  }
  return true;
}

/** First matching route's value (IR order is precedence order), or null. */
export function matchRoute<T>(table: RouteTable<T>, req: RequestView): T | null {
  const query = table.needsQuery ? parseQuery(req.routeQuery) : null;
  const entries = table.entries;
  const index = table.index;
  if (index === null) {
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i]!;
      if (matches(e.match, req, query)) return e.value;
    }
    return null;
  }
  // Large table: only entries whose path can match are checked, still in precedence order.
  const candidates = candidateIndices(index, req.routePath);
  for (let i = 0; i < candidates.length; i++) {
    const e = entries[candidates[i]!]!;
    if (matches(e.match, req, query)) return e.value;
  }
  return null;
}

function candidateIndices(index: RouteIndex, path: string): number[] {
  const lists: number[][] = [];
  if (index.exact.size > 0) {
    const exact = index.exact.get(path);
    if (exact !== undefined) lists.push(exact);
  }
  // Every element-wise prefix of the path ("/a/b" → "/a", "/a/b") as long as some prefix route's.
  const lengths = index.prefixLengths;
  const last = Math.min(path.length, lengths.length - 1);
  for (let i = 1; i <= last; i++) {
    if (lengths[i] === 1 && (i === path.length || path.charCodeAt(i) === 47)) {
      const list = index.prefix.get(path.slice(0, i));
      if (list !== undefined) lists.push(list);
    }
  }
  if (index.always.length > 0) lists.push(index.always);
  if (lists.length === 1) return lists[0]!;
  const out: number[] = [];
  for (const l of lists) for (const i of l) out.push(i);
  return out.sort((a, b) => a - b);
}
