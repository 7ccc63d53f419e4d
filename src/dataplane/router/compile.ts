// Compiles the match part of IR routes once per config version. The result is immutable and
// protocol-independent: HTTP/1.1 and HTTP/2 both match through router/match.ts.
import type { HTTPMatchIR, StringMatchIR } from '../../ir/types.ts';

export const PATH_ANY = 0;
export const PATH_EXACT = 1;
export const PATH_PREFIX = 2;
export const PATH_REGEX = 3;

export interface CompiledStringMatch {
  readonly name: string;
  /** Exact value, or null when `regex` is used. */
  readonly exact: string | null;
  readonly regex: RegExp | null;
}

export interface CompiledMatch {
  readonly pathKind: number;
  /**
   * Exact path, or the prefix without its trailing slash ("" for "/"). For a regex: the literal
   * text every matching path starts with, cut at its last "/" ("" when there is none to rely on),
   * which only serves the path index.
   */
  readonly pathValue: string;
  readonly pathRegex: RegExp | null;
  readonly method: string | null;
  readonly headers: readonly CompiledStringMatch[];
  readonly query: readonly CompiledStringMatch[];
}

export interface RouteEntry<T> {
  readonly match: CompiledMatch;
  readonly value: T;
}

/**
 * Candidate lookup for large tables: which entries can match a path, by exact path and by path
 * prefix (a regex with a literal start counts as a prefix route for this), plus those that must
 * always be checked (other regexes, no path condition). Lists hold entry indices in ascending
 * (precedence) order; every candidate is still checked in full.
 */
export interface RouteIndex {
  readonly exact: Map<string, number[]>;
  readonly prefix: Map<string, number[]>;
  /**
   * prefixLengths[n] is 1 when some key of `prefix` is n characters long (up to the longest key):
   * a path is only cut and looked up where a prefix of that length exists.
   */
  readonly prefixLengths: Uint8Array;
  readonly always: number[];
}

export interface RouteTable<T> {
  /** In IR order: the IR is already sorted by Gateway API precedence, so the first match wins. */
  readonly entries: readonly RouteEntry<T>[];
  /** True when some route looks at query parameters, so the query is only parsed when needed. */
  readonly needsQuery: boolean;
  /** null for small tables, where a linear scan is cheaper than the lookups. */
  readonly index: RouteIndex | null;
}

/** Tables up to this size are scanned linearly. */
export const INDEX_THRESHOLD = 16;

function buildIndex(entries: readonly RouteEntry<unknown>[]): RouteIndex {
  const exact = new Map<string, number[]>();
  const prefix = new Map<string, number[]>();
  const always: number[] = [];
  const add = (m: Map<string, number[]>, k: string, i: number): void => {
    const list = m.get(k);
    if (list === undefined) m.set(k, [i]);
    else list.push(i);
  };
  entries.forEach((e, i) => {
    const m = e.match;
    if (m.pathKind === PATH_EXACT) add(exact, m.pathValue, i);
    else if (m.pathKind === PATH_PREFIX || (m.pathKind === PATH_REGEX && m.pathValue !== '')) {
      add(prefix, m.pathValue, i);
    } else always.push(i);
  });
  let longest = 0;
  for (const k of prefix.keys()) longest = Math.max(longest, k.length);
  const prefixLengths = new Uint8Array(longest + 1);
  for (const k of prefix.keys()) prefixLengths[k.length] = 1;
  return { exact, prefix, prefixLengths, always };
}

/** Characters that end a regex's literal start. */
const REGEX_SPECIAL = new Set(['\\', '^', '$', '.', '|', '?', '*', '+', '(', ')', '[', ']', '{', '}']);
/** Escapes that stand for the character itself. */
const LITERAL_ESCAPES = new Set(['/', '.', '-', '_', '~', '%', '&', '=', ':', '@']);

/**
 * The element-wise path prefix every match of the (fully anchored) regex starts with: the literal
 * characters before the first special one, minus a character a quantifier makes optional or
 * repeatable, cut at the last "/" (so that the router's element-wise prefix lookup finds it).
 * "" when there is nothing safe: an alternation anywhere, or no "/" after the first character.
 */
export function regexPathPrefix(source: string): string {
  if (source.includes('|')) return '';
  let i = source.charCodeAt(0) === 94 /* ^ */ ? 1 : 0;
  let lit = '';
  while (i < source.length) {
    const c = source[i]!;
    if (c === '\\') {
      const next = source[i + 1];
      if (next === undefined || !LITERAL_ESCAPES.has(next)) break;
      lit += next;
      i += 2;
      continue;
    }
    if (REGEX_SPECIAL.has(c)) {
      // "a?", "a*", "a{0,2}": the character before the quantifier may be absent (or, with "+",
      // repeated; dropping it is simply conservative).
      if (c === '?' || c === '*' || c === '+' || c === '{') lit = lit.slice(0, -1);
      break;
    }
    lit += c;
    i++;
  }
  const slash = lit.lastIndexOf('/');
  return slash > 0 ? lit.slice(0, slash) : '';
}

/** Regular expressions are anchored: the Gateway API (like Envoy's RE2 matchers) matches the whole value. */
export function fullRegex(source: string): RegExp {
  return new RegExp('^(?:' + source + ')$');
}

function compileStringMatch(m: StringMatchIR, lowerName: boolean): CompiledStringMatch {
  const name = lowerName ? m.name.toLowerCase() : m.name;
  if (m.type === 'RegularExpression') return { name, exact: null, regex: fullRegex(m.value) };
  return { name, exact: m.value, regex: null };
}

export function compileMatch(match: HTTPMatchIR): CompiledMatch {
  let pathKind = PATH_ANY;
  let pathValue = '';
  let pathRegex: RegExp | null = null;
  const path = match.path;
  if (path !== undefined) {
    if (path.type === 'Exact') {
      pathKind = PATH_EXACT;
      pathValue = path.value;
    } else if (path.type === 'PathPrefix') {
      // "/" matches everything; a trailing slash on the prefix is not significant.
      let v = path.value;
      while (v.endsWith('/')) v = v.slice(0, -1);
      pathKind = v === '' ? PATH_ANY : PATH_PREFIX;
      pathValue = v;
    } else {
      pathKind = PATH_REGEX;
      pathRegex = fullRegex(path.value);
      pathValue = regexPathPrefix(path.value);
    }
  }
  return {
    pathKind,
    pathValue,
    pathRegex,
    method: match.method ?? null,
    headers: match.headers.map((h) => compileStringMatch(h, true)),
    // Query parameter names are case-sensitive.
    query: match.queryParams.map((q) => compileStringMatch(q, false)),
  };
}

export function compileRouteTable<T>(items: { match: HTTPMatchIR; value: T }[]): RouteTable<T> {
  const entries = items.map((i) => ({ match: compileMatch(i.match), value: i.value }));
  return {
    entries,
    needsQuery: entries.some((e) => e.match.query.length > 0),
    index: entries.length > INDEX_THRESHOLD ? buildIndex(entries) : null,
  };
}
