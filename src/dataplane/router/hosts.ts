// Hostname selection shared by listener choice (per port) and virtual-host choice (per listener).
// Order: exact name, then the longest matching wildcard suffix, then the catch-all.

export interface HostTable<T> {
  readonly exact: Map<string, T>;
  /** Wildcards as [suffix including the leading dot, value], longest suffix first. */
  readonly wildcards: [string, T][];
  readonly any: T | null;
}

/** `entries` pairs a hostname ("a.com", "*.a.com", "*" or null for any) with its value; the first wins on duplicates. */
export function compileHostTable<T>(entries: [string | null, T][]): HostTable<T> {
  const exact = new Map<string, T>();
  const wildcards: [string, T][] = [];
  let any: T | null = null;
  for (const [hostname, value] of entries) {
    if (hostname === null || hostname === '*' || hostname === '') {
      if (any === null) any = value;
    } else if (hostname.startsWith('*.')) {
      const suffix = hostname.slice(1).toLowerCase();
      if (!wildcards.some((w) => w[0] === suffix)) wildcards.push([suffix, value]);
    } else {
      const name = hostname.toLowerCase();
      if (!exact.has(name)) exact.set(name, value);
    }
  }
  wildcards.sort((a, b) => b[0].length - a[0].length);
  return { exact, wildcards, any };
}

/** `host` must already be lower-cased and stripped of its port. */
export function lookupHost<T>(table: HostTable<T>, host: string): T | null {
  const hit = table.exact.get(host);
  if (hit !== undefined) return hit;
  const wildcards = table.wildcards;
  for (let i = 0; i < wildcards.length; i++) {
    const w = wildcards[i]!;
    // "*.example.com" needs at least one label before the suffix.
    if (host.length > w[0].length && host.endsWith(w[0])) return w[1];
  }
  return table.any;
}

/** Lower-cases a Host/:authority value and removes its port (IPv6 literals keep their brackets). */
export function normalizeHost(authority: string): string {
  let end = authority.length;
  if (authority.charCodeAt(0) === 91 /* [ */) {
    const close = authority.indexOf(']');
    if (close !== -1) end = close + 1;
  } else {
    const colon = authority.lastIndexOf(':');
    if (colon !== -1) end = colon;
  }
  // A trailing dot names the same host.
  if (end > 0 && authority.charCodeAt(end - 1) === 46) end--;
  const host = end === authority.length ? authority : authority.slice(0, end);
  return host.toLowerCase();
}
