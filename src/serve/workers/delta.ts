// A configuration sent to a worker as the difference from the one it already holds. The IR's JSON
// is deterministic, so a change to one route changes a short run of it: the message carries the
// length of the common prefix and suffix and the text between them, and the worker rebuilds the
// whole from its copy. With 1,000 routes that turns a 320 KB message per worker per reload (pipe
// round trips between busy processes, then a copy in the worker) into a few hundred bytes.

/** `next` as the text between `prefix` leading and `suffix` trailing characters of the base. */
export interface TextDelta {
  /** Version of the base text the receiver must hold. */
  base: string;
  prefix: number;
  suffix: number;
  middle: string;
}

/** Characters compared at a time while looking for the first difference. */
const BLOCK = 2048;

function commonPrefix(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  // Whole blocks first (substring comparison runs in native code), then within the first block
  // that differs.
  while (i + BLOCK <= n && a.substring(i, i + BLOCK) === b.substring(i, i + BLOCK)) i += BLOCK;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  return i;
}

function commonSuffix(a: string, b: string, limit: number): number {
  let k = 0;
  while (
    k + BLOCK <= limit &&
    a.substring(a.length - k - BLOCK, a.length - k) === b.substring(b.length - k - BLOCK, b.length - k)
  ) {
    k += BLOCK;
  }
  while (k < limit && a.charCodeAt(a.length - 1 - k) === b.charCodeAt(b.length - 1 - k)) k++;
  return k;
}

/**
 * The delta from `base` (held under `baseVersion`) to `next`, or null when it would not be much
 * smaller than `next` itself (then send the whole).
 */
export function textDelta(baseVersion: string, base: string, next: string): TextDelta | null {
  const prefix = commonPrefix(base, next);
  const suffix = commonSuffix(base, next, Math.min(base.length, next.length) - prefix);
  const middle = next.substring(prefix, next.length - suffix);
  if (middle.length > next.length / 2) return null;
  return { base: baseVersion, prefix, suffix, middle };
}

/**
 * Rebuilds the text a delta describes; throws when `base` is not the version it was made from.
 * A version names one text (it is a hash of the inputs the text is computed from).
 */
export function applyTextDelta(base: { version: string; text: string } | null, d: TextDelta): string {
  if (base === null || base.version !== d.base) {
    throw new Error(`configuration delta against version ${d.base}, but this worker holds ${base?.version ?? 'none'}`);
  }
  const { text } = base;
  if (d.prefix + d.suffix > text.length) throw new Error('configuration delta does not fit the configuration held');
  return text.substring(0, d.prefix) + d.middle + text.substring(text.length - d.suffix);
}
