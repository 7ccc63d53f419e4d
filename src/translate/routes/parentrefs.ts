// parentRef attachment, shared by every route kind. For each parentRef that names one of our
// Gateways (or a ListenerSet attached to one), in the order the spec's conditions imply:
//   1. listeners of that parent matching sectionName and/or port; none → NoMatchingParent
//   2. of those, listeners that are ready and allow the route's kind and namespace;
//      none → NotAllowedByListeners
//   3. of those, listeners whose hostname intersects the route's hostnames;
//      none → NoMatchingListenerHostname
// A parentRef to a Gateway selects only the Gateway's own listeners; a ListenerSet's listeners
// are reached through a parentRef to the ListenerSet. ParentRefs to anything we do not manage
// are not ours to report on and are skipped.

import type { ParentReference } from '../../api/types.ts';
import { GATEWAY_GROUP, GATEWAY_X_GROUP, type GatewayContext, type ListenerContext } from '../context.ts';
import { intersectHostnames } from '../hostname.ts';
import type { RouteContext } from './context.ts';

/** Why a parentRef does not accept the route (the Accepted=False reason and message). */
export interface Rejection {
  reason: string;
  message: string;
}

export interface ListenerAttachment {
  listener: ListenerContext;
  /** Hostnames the route serves on this listener ("*" = any); empty for TCP/UDP. */
  hostnames: string[];
}

export interface ParentAttachment {
  /** The parentRef as reported in status (group and kind defaulted). */
  parentRef: ParentReference;
  gateway: GatewayContext;
  /** null when the parent accepts the route on `listeners`. */
  rejection: Rejection | null;
  listeners: ListenerAttachment[];
}

/** The parentRef as status echoes it: the API server's defaults for group and kind applied. */
export function normalizeParentRef(ref: ParentReference): ParentReference {
  const out: ParentReference = {
    group: ref.group ?? GATEWAY_GROUP,
    kind: ref.kind ?? 'Gateway',
    ...(ref.namespace !== undefined ? { namespace: ref.namespace } : {}),
    name: ref.name,
  };
  if (ref.sectionName !== undefined) out.sectionName = ref.sectionName;
  if (ref.port !== undefined) out.port = ref.port;
  return out;
}

function isListenerSetRef(group: string, kind: string): boolean {
  return (group === GATEWAY_GROUP && kind === 'ListenerSet') || (group === GATEWAY_X_GROUP && kind === 'XListenerSet');
}

/** The listeners a parentRef names, with the gateway they belong to; null when not ours. */
function parentListeners(
  ref: ParentReference,
  routeNamespace: string,
  gateways: readonly GatewayContext[],
): { gateway: GatewayContext; listeners: ListenerContext[] } | null {
  const group = ref.group ?? GATEWAY_GROUP;
  const kind = ref.kind ?? 'Gateway';
  const namespace = ref.namespace || routeNamespace;
  if (group === GATEWAY_GROUP && kind === 'Gateway') {
    const gw = gateways.find((g) => g.namespace === namespace && g.name === ref.name);
    if (!gw) return null;
    return { gateway: gw, listeners: gw.listeners.filter((l) => !l.listenerSet) };
  }
  if (isListenerSetRef(group, kind)) {
    for (const gw of gateways) {
      const ls = gw.listeners.filter(
        (l) =>
          l.listenerSet &&
          l.listenerSet.kind === kind &&
          (l.listenerSet.metadata.namespace ?? 'default') === namespace &&
          l.listenerSet.metadata.name === ref.name,
      );
      if (ls.length > 0) return { gateway: gw, listeners: ls };
    }
  }
  return null;
}

export function allowsKind(listener: ListenerContext, kind: string): boolean {
  return listener.supportedKinds.some((k) => (k.group ?? GATEWAY_GROUP) === GATEWAY_GROUP && k.kind === kind);
}

/** Resolves every parentRef of the route that we manage, in spec order. */
export function resolveParentRefs(route: RouteContext, gateways: readonly GatewayContext[]): ParentAttachment[] {
  const out: ParentAttachment[] = [];
  for (const ref of route.parentRefs) {
    const parent = parentListeners(ref, route.namespace, gateways);
    if (!parent) continue;
    const attachment: ParentAttachment = {
      parentRef: normalizeParentRef(ref),
      gateway: parent.gateway,
      rejection: null,
      listeners: [],
    };
    out.push(attachment);
    const selected = parent.listeners.filter(
      (l) =>
        (ref.sectionName === undefined || l.listener.name === ref.sectionName) &&
        (ref.port === undefined || l.listener.port === ref.port),
    );
    if (selected.length === 0) {
      attachment.rejection = { reason: 'NoMatchingParent', message: noMatchingParentMessage(ref) };
      continue;
    }
    const allowed = selected.filter((l) => l.ready && allowsKind(l, route.kind) && l.allowsNamespace(route.namespace));
    if (allowed.length === 0) {
      attachment.rejection = { reason: 'NotAllowedByListeners', message: notAllowedMessage(route, selected) };
      continue;
    }
    if (route.hostnames === undefined) {
      attachment.listeners = allowed.map((listener) => ({ listener, hostnames: [] }));
      continue;
    }
    for (const listener of allowed) {
      const hostnames = intersectHostnames(listener.listener.hostname, route.hostnames);
      if (hostnames) attachment.listeners.push({ listener, hostnames });
    }
    if (attachment.listeners.length === 0) {
      attachment.rejection = {
        reason: 'NoMatchingListenerHostname',
        message: `no hostname of the ${route.kind} intersects the hostname of any listener selected by this parentRef`,
      };
    }
  }
  return out;
}

function noMatchingParentMessage(ref: ParentReference): string {
  const parts: string[] = [];
  if (ref.sectionName !== undefined) parts.push(`sectionName "${ref.sectionName}"`);
  if (ref.port !== undefined) parts.push(`port ${ref.port}`);
  return parts.length === 0 ? 'the parent has no listeners' : `no listener matches ${parts.join(' and ')}`;
}

function notAllowedMessage(route: RouteContext, selected: readonly ListenerContext[]): string {
  if (selected.every((l) => !l.ready)) return 'no listener selected by this parentRef is ready to accept routes';
  if (!selected.some((l) => l.ready && allowsKind(l, route.kind))) {
    return `no listener selected by this parentRef allows kind ${route.kind}`;
  }
  return `no listener selected by this parentRef allows routes from namespace ${route.namespace}`;
}
