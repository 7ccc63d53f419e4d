// The two ends of the route passes on the gateway side:
//   prepareListeners  (before routes): which listeners routes may attach to and which get programmed;
//   finalizeGateways  (after routes):  Gateway / ListenerSet status (attachedRoutes known) and GatewayIR.

import type { GatewayStatus, ListenerSetStatus, ListenerStatus } from '../api/types.ts';
import type { GatewayIR } from '../ir/types.ts';
import { compareResources } from '../provider/snapshot.ts';
import { ConditionType, condition, mergeOwnedConditions } from './conditions.ts';
import { setStatus, type TranslateContext } from './context.ts';
import type { GatewayState, ListenerSetState } from './gateway.ts';
import { detectOverlappingTLS } from './listener/conflicts.ts';
import { insecureFrontendValidation } from './listener/frontend.ts';
import { type ListenerState, listenerStatus, listenerVerdicts, type Verdict } from './listener/state.ts';

/** Sets `ready` and `programmed` on every listener; call after ListenerSets are attached. */
export function prepareListeners(gateways: readonly GatewayState[]): void {
  for (const gw of gateways) {
    for (const l of gw.listeners) {
      l.ready = gw.accepted.status && l.accepted.status && l.conflicted === null;
      l.programmed = l.ready && l.notProgrammed === null && gw.addressProblem === null;
    }
    detectOverlappingTLS(gw.listeners);
  }
}

function parentProblem(gw: GatewayState): Verdict | null {
  if (!gw.accepted.status) return { status: false, reason: 'Invalid', message: 'the Gateway is not accepted' };
  if (gw.addressProblem) {
    return { status: false, reason: 'Invalid', message: `the Gateway is not programmed: ${gw.addressProblem.message}` };
  }
  return null;
}

function gatewayProgrammed(gw: GatewayState): Verdict {
  if (!gw.accepted.status) return { status: false, reason: 'Invalid', message: 'Gateway is not accepted' };
  if (gw.addressProblem) return gw.addressProblem;
  if (gw.listeners.length > 0 && !gw.listeners.some((l) => l.programmed)) {
    return { status: false, reason: 'Invalid', message: 'No listener can be programmed' };
  }
  return { status: true, reason: 'Programmed', message: 'Gateway is programmed' };
}

function renderListeners(
  listeners: readonly ListenerState[],
  previous: readonly ListenerStatus[] | undefined,
  problem: Verdict | null,
  generation: number | undefined,
  now: string,
): ListenerStatus[] {
  const prev = new Map((previous ?? []).map((s) => [s.name, s]));
  return [...listeners]
    .sort((a, b) => a.index - b.index)
    .map((l) => listenerStatus(l, listenerVerdicts(l, problem), generation, now, prev.get(l.listener.name)));
}

function listenerSetProgrammed(s: ListenerSetState): Verdict {
  if (!s.attached) return { status: false, reason: s.accepted.reason, message: s.accepted.message };
  if (s.gateway.addressProblem) {
    return {
      status: false,
      reason: 'ParentNotProgrammed',
      message: `parent Gateway is not programmed: ${s.gateway.addressProblem.message}`,
    };
  }
  if (s.listeners.length > 0 && !s.listeners.some((l) => l.programmed)) {
    return { status: false, reason: 'ListenersNotValid', message: 'No listener can be programmed' };
  }
  return { status: true, reason: 'Programmed', message: 'ListenerSet is programmed' };
}

function finalizeListenerSet(ctx: TranslateContext, s: ListenerSetState): void {
  const ls = s.listenerSet;
  const gen = ls.metadata.generation;
  const { now } = ctx.options;
  const next = [
    condition({ type: ConditionType.Accepted, ...s.accepted }, gen, now),
    condition({ type: ConditionType.Programmed, ...listenerSetProgrammed(s) }, gen, now),
  ];
  const status: ListenerSetStatus = { conditions: mergeOwnedConditions(ls.status?.conditions, next) };
  if (s.attached)
    status.listeners = renderListeners(s.listeners, ls.status?.listeners, parentProblem(s.gateway), gen, now);
  setStatus(ctx, ls, status);
}

/** Writes Gateway and ListenerSet status and returns the IR of every programmed Gateway. */
export function finalizeGateways(ctx: TranslateContext, gateways: readonly GatewayState[]): GatewayIR[] {
  const out: GatewayIR[] = [];
  const { now } = ctx.options;
  // Output in namespace/name order; `gateways` come in precedence (age) order.
  const ordered = [...gateways].sort((a, b) => compareResources(a.gateway, b.gateway));
  for (const gw of ordered) {
    const gen = gw.gateway.metadata.generation;
    const programmed = gatewayProgrammed(gw);
    const next = [
      condition({ type: ConditionType.Accepted, ...gw.accepted }, gen, now),
      condition({ type: ConditionType.Programmed, ...programmed }, gen, now),
      condition({ type: ConditionType.ResolvedRefs, ...gw.resolvedRefs }, gen, now),
    ];
    const insecure = insecureFrontendValidation(gw.gateway);
    if (insecure) next.push(condition({ type: 'InsecureFrontendValidationMode', ...insecure }, gen, now));
    const prev = gw.gateway.status;
    const status: GatewayStatus = {};
    // Addresses are reported once bound, i.e. when the Gateway is programmed.
    if (programmed.status && gw.statusAddresses.length > 0) status.addresses = gw.statusAddresses;
    status.conditions = mergeOwnedConditions(prev?.conditions, next);
    status.listeners = renderListeners(gw.ownListeners, prev?.listeners, parentProblem(gw), gen, now);
    if (gw.gateway.spec?.allowedListeners || gw.listenerSets.length > 0) {
      status.attachedListenerSets = gw.listenerSets.filter((s) => s.attached && s.accepted.status).length;
    }
    setStatus(ctx, gw.gateway, status);
    for (const s of gw.listenerSets) finalizeListenerSet(ctx, s);

    if (!programmed.status) continue;
    gw.ir.listeners = gw.listeners.filter((l) => l.programmed).map((l) => l.ir);
    gw.ir.clusters.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    out.push(gw.ir);
  }
  return out;
}
