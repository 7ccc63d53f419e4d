// Gateway API durations (GEP-2257): one to four components of 1–5 digits followed by h, m, s or
// ms, e.g. "1h30m", "500ms", "0s". Units may repeat ("1m30m" is 31 minutes). Floats, signs,
// spaces and missing units are invalid.

const DURATION = /^([0-9]{1,5}(h|m|s|ms)){1,4}$/;
const COMPONENT = /([0-9]{1,5})(ms|h|m|s)/g;

const UNIT_MS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1_000, ms: 1 };

/** Milliseconds of a GEP-2257 duration, or null when the string is not one. */
export function parseDuration(value: string): number | null {
  if (!DURATION.test(value)) return null;
  let total = 0;
  for (const m of value.matchAll(COMPONENT)) total += Number(m[1]) * UNIT_MS[m[2]!]!;
  return total;
}
