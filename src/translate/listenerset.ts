// ListenerSets: extra listeners attached to a Gateway that allows them (spec.allowedListeners,
// default None). Sets are merged after the Gateway's own listeners, oldest first, then by
// namespace/name; a listener that conflicts with an earlier one loses.

import type { ListenerSet } from '../api/types.ts';
import type { CertificateResolver } from './certificates.ts';
import { GATEWAY_GROUP, GATEWAY_X_GROUP, type TranslateContext } from './context.ts';
import {
  acceptedFromListeners,
  buildListeners,
  compareByAge,
  type GatewayState,
  type ListenerSetState,
  otherGatewaysWinners,
} from './gateway.ts';
import { matchesLabelSelector } from './labelselector.ts';
import { resolveConflicts } from './listener/conflicts.ts';
import { applyFrontendValidation } from './listener/frontend.ts';
import { namespaceLabels } from './listener/state.ts';
import { certificateDiagnostics, validateListener } from './listener/validate.ts';

/** ListenerSet kinds read: the v1 kind and the older experimental XListenerSet. */
export const LISTENERSET_KINDS: readonly { kind: string; group: string }[] = [
  { kind: 'ListenerSet', group: GATEWAY_GROUP },
  { kind: 'XListenerSet', group: GATEWAY_X_GROUP },
];

function groupOfKind(kind: string): string {
  return LISTENERSET_KINDS.find((k) => k.kind === kind)?.group ?? GATEWAY_GROUP;
}

function allowedBy(ctx: TranslateContext, gw: GatewayState, ls: ListenerSet): boolean {
  const ns = gw.gateway.spec?.allowedListeners?.namespaces;
  const lsNamespace = ls.metadata.namespace ?? 'default';
  switch (ns?.from ?? 'None') {
    case 'All':
      return true;
    case 'Same':
      return lsNamespace === gw.namespace;
    case 'Selector':
      return (
        ns?.selector !== undefined && matchesLabelSelector(ns.selector, namespaceLabels(ctx.snapshot, lsNamespace))
      );
    default:
      return false;
  }
}

/**
 * Finds the ListenerSets whose parentRef is one of our Gateways and attaches those allowed.
 * ListenerSets pointing anywhere else are not ours and get no status.
 */
export function attachListenerSets(
  ctx: TranslateContext,
  gateways: readonly GatewayState[],
  certs: CertificateResolver,
): void {
  const byKey = new Map(gateways.map((g) => [`${g.namespace}/${g.name}`, g]));
  for (const { kind } of LISTENERSET_KINDS) {
    for (const ls of ctx.snapshot.list<ListenerSet>(kind)) {
      const ref = ls.spec?.parentRef;
      if (!ref || (ref.group ?? GATEWAY_GROUP) !== GATEWAY_GROUP || (ref.kind ?? 'Gateway') !== 'Gateway') continue;
      const gw = byKey.get(`${ref.namespace ?? ls.metadata.namespace ?? 'default'}/${ref.name}`);
      if (!gw) continue;
      gw.listenerSets.push({
        listenerSet: ls,
        gateway: gw,
        accepted: { status: true, reason: 'Accepted', message: 'ListenerSet is accepted' },
        attached: false,
        listeners: [],
      });
    }
  }

  for (const gw of gateways) {
    gw.listenerSets.sort((a, b) => compareByAge(a.listenerSet, b.listenerSet));
    const attached: ListenerSetState[] = [];
    for (const s of gw.listenerSets) {
      const ls = s.listenerSet;
      if (!gw.accepted.status) {
        s.accepted = {
          status: false,
          reason: 'ParentNotAccepted',
          message: `parent Gateway ${gw.namespace}/${gw.name} is not accepted`,
        };
        continue;
      }
      if (!allowedBy(ctx, gw, ls)) {
        s.accepted = {
          status: false,
          reason: 'NotAllowed',
          message: `Gateway ${gw.namespace}/${gw.name} does not allow ListenerSets from namespace ${ls.metadata.namespace ?? 'default'} (spec.allowedListeners)`,
        };
        continue;
      }
      s.attached = true;
      const from = { group: groupOfKind(ls.kind), kind: ls.kind, namespace: ls.metadata.namespace ?? 'default' };
      s.listeners = buildListeners(ctx, gw, ls.spec?.listeners ?? [], ls, ls);
      const report = certificateDiagnostics(ctx.diagnostics, ls);
      for (const l of s.listeners) {
        validateListener(l, certs, from, report);
        applyFrontendValidation(gw.gateway, l, certs);
      }
      attached.push(s);
    }
    const previous = [...gw.winners, ...(gw.contends ? otherGatewaysWinners(ctx, gw, gateways) : [])];
    gw.winners.push(
      ...resolveConflicts(
        attached.map((s) => s.listeners),
        previous,
      ),
    );
    for (const s of attached) {
      s.accepted = acceptedFromListeners(s.listeners, 'ListenerSet', true);
      gw.listeners.push(...s.listeners);
    }
  }
}
