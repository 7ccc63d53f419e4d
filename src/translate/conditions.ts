// Condition helpers. Condition types and reasons are spelled exactly as the Gateway API spec does.

import type { Condition } from '../api/types.ts';

export const ConditionType = {
  Accepted: 'Accepted',
  Programmed: 'Programmed',
  ResolvedRefs: 'ResolvedRefs',
  Conflicted: 'Conflicted',
  OverlappingTLSConfig: 'OverlappingTLSConfig',
  SupportedVersion: 'SupportedVersion',
  PartiallyInvalid: 'PartiallyInvalid',
  AttachedListenerSets: 'AttachedListenerSets',
} as const;

export interface ConditionSpec {
  type: string;
  status: boolean | 'Unknown';
  reason: string;
  message: string;
}

/** Builds a condition with observedGeneration; lastTransitionTime comes from `now` (the translator stays pure). */
export function condition(spec: ConditionSpec, generation: number | undefined, now: string): Condition {
  return {
    type: spec.type,
    status: spec.status === 'Unknown' ? 'Unknown' : spec.status ? 'True' : 'False',
    reason: spec.reason,
    message: spec.message,
    observedGeneration: generation ?? 0,
    lastTransitionTime: now,
  };
}

/**
 * Merges freshly computed conditions into the previous ones: a condition whose status did not
 * change keeps its lastTransitionTime (as the Kubernetes conventions require); conditions of types
 * not computed now are dropped. Output order is the order of `next`.
 */
export function mergeConditions(previous: readonly Condition[] | undefined, next: readonly Condition[]): Condition[] {
  if (!previous || previous.length === 0) return [...next];
  const prevByType = new Map(previous.map((c) => [c.type, c]));
  return next.map((c) => {
    const p = prevByType.get(c.type);
    if (p && p.status === c.status && p.lastTransitionTime) return { ...c, lastTransitionTime: p.lastTransitionTime };
    return c;
  });
}

/**
 * mergeConditions for a whole status the translator owns, except that conditions of
 * domain-prefixed types ("example.com/Foo") set by other controllers are kept, after ours: the
 * spec forbids removing conditions an implementation is not responsible for. Unprefixed types are
 * Gateway API ones, which the managing controller owns (so stale ones, e.g. a resolved
 * OverlappingTLSConfig, disappear).
 */
export function mergeOwnedConditions(
  previous: readonly Condition[] | undefined,
  next: readonly Condition[],
): Condition[] {
  const merged = mergeConditions(previous, next);
  const have = new Set(next.map((c) => c.type));
  for (const p of previous ?? []) {
    if (p.type.includes('/') && !have.has(p.type)) merged.push(p);
  }
  return merged;
}
