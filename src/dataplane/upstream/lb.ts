// Endpoint choice per request. LeastRequest uses two random choices (the "power of two"),
// which avoids herding on one endpoint while staying O(1).
export interface Balanced {
  /** Requests in flight on this endpoint. */
  active: number;
}

export const LB_LEAST_REQUEST = 0;
export const LB_ROUND_ROBIN = 1;
export const LB_RANDOM = 2;

export function lbKind(name: string): number {
  return name === 'RoundRobin' ? LB_ROUND_ROBIN : name === 'Random' ? LB_RANDOM : LB_LEAST_REQUEST;
}

export interface LbState {
  next: number;
}

export function pickEndpoint<T extends Balanced>(kind: number, list: readonly T[], state: LbState): T | null {
  const n = list.length;
  if (n === 0) return null;
  if (n === 1) return list[0]!;
  if (kind === LB_ROUND_ROBIN) {
    const e = list[state.next % n]!;
    state.next = (state.next + 1) % n;
    return e;
  }
  const a = list[(Math.random() * n) | 0]!;
  if (kind === LB_RANDOM) return a;
  let b = list[(Math.random() * n) | 0]!;
  if (b === a) b = list[(list.indexOf(a) + 1) % n]!;
  return b.active < a.active ? b : a;
}
