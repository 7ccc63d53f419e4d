// Route status: one status.parents entry per parentRef we manage, with Accepted, ResolvedRefs and
// (only when some rules were dropped) PartiallyInvalid. Entries written by other controllers are
// kept untouched and in place; ours follow, in parentRef order.

import type { Condition, ParentReference, RouteParentStatus, RouteStatus } from '../../api/types.ts';
import { ConditionType, condition, mergeConditions } from '../conditions.ts';
import { setStatus, type TranslateContext } from '../context.ts';
import type { RouteContext } from './context.ts';
import type { Rejection } from './parentrefs.ts';

export interface Verdict {
  status: boolean;
  reason: string;
  message: string;
}

export const RESOLVED_REFS_OK: Verdict = {
  status: true,
  reason: 'ResolvedRefs',
  message: 'Resolved all the object references of the route',
};

/** Route-wide results of rule compilation (the same for every parentRef). */
export interface RouteOutcome {
  resolvedRefs: Verdict;
  /** Rules dropped as invalid (Accepted-type errors), by index; the first one's reason, every rule's message. */
  droppedRules: number[];
  dropReason: Rejection | null;
  /** Number of rules the route has (to tell "some" from "all" dropped). */
  ruleCount: number;
}

/** Accepted=False for the whole route when every rule was dropped. */
export function allRulesDropped(o: RouteOutcome): Rejection | null {
  if (o.ruleCount === 0 || o.droppedRules.length < o.ruleCount || !o.dropReason) return null;
  return { reason: o.dropReason.reason, message: `All rules are invalid (${o.dropReason.message})` };
}

export interface ParentResult {
  parentRef: ParentReference;
  rejection: Rejection | null;
}

function sameParentRef(a: ParentReference, b: ParentReference): boolean {
  return (
    (a.group ?? GATEWAY_GROUP_DEFAULT) === (b.group ?? GATEWAY_GROUP_DEFAULT) &&
    (a.kind ?? 'Gateway') === (b.kind ?? 'Gateway') &&
    (a.namespace ?? '') === (b.namespace ?? '') &&
    a.name === b.name &&
    (a.sectionName ?? '') === (b.sectionName ?? '') &&
    (a.port ?? 0) === (b.port ?? 0)
  );
}

const GATEWAY_GROUP_DEFAULT = 'gateway.networking.k8s.io';

/**
 * Writes the route's status. Does nothing for a route that names none of our parents and has no
 * stale entries of ours (status of routes we never managed is not ours to touch).
 */
export function writeRouteStatus(
  ctx: TranslateContext,
  route: RouteContext,
  parents: readonly ParentResult[],
  outcome: RouteOutcome,
): void {
  const controller = ctx.options.controllerName;
  const previous = ((route.resource.status as RouteStatus | undefined)?.parents ?? []) as RouteParentStatus[];
  const hadOurs = previous.some((p) => p.controllerName === controller);
  if (parents.length === 0 && !hadOurs) return;
  const gen = route.resource.metadata.generation;
  const { now } = ctx.options;
  const ours: RouteParentStatus[] = parents.map((p) => {
    const next: Condition[] = [];
    if (p.rejection) {
      next.push(condition({ type: ConditionType.Accepted, status: false, ...p.rejection }, gen, now));
    } else {
      next.push(
        condition(
          { type: ConditionType.Accepted, status: true, reason: 'Accepted', message: 'Route is accepted' },
          gen,
          now,
        ),
      );
    }
    next.push(condition({ type: ConditionType.ResolvedRefs, ...outcome.resolvedRefs }, gen, now));
    if (!p.rejection && outcome.dropReason && outcome.droppedRules.length > 0) {
      next.push(
        condition(
          {
            type: ConditionType.PartiallyInvalid,
            status: true,
            reason: outcome.dropReason.reason,
            message: `Dropped Rule(s) ${outcome.droppedRules.join(', ')}: ${outcome.dropReason.message}`,
          },
          gen,
          now,
        ),
      );
    }
    const prev = previous.find((e) => e.controllerName === controller && sameParentRef(e.parentRef, p.parentRef));
    return { parentRef: p.parentRef, controllerName: controller, conditions: mergeConditions(prev?.conditions, next) };
  });
  const others = previous.filter((p) => p.controllerName !== controller);
  const status: RouteStatus = { parents: [...others, ...ours] };
  setStatus(ctx, route.resource, status);
}
