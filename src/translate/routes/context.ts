// RouteContext: the view of a route that parentRef attachment and status need, the same for all
// five kinds, so that logic is written once.

import type { AnyRoute, ParentReference } from '../../api/types.ts';
import { GATEWAY_GROUP } from '../context.ts';

export type RouteKind = 'HTTPRoute' | 'GRPCRoute' | 'TLSRoute' | 'TCPRoute' | 'UDPRoute';

export interface RouteContext {
  readonly kind: RouteKind;
  readonly resource: AnyRoute;
  readonly namespace: string;
  readonly name: string;
  readonly creationTimestamp: string | undefined;
  readonly parentRefs: readonly ParentReference[];
  /** Hostnames for kinds that match on them (HTTP, GRPC, TLS); undefined for TCP and UDP. */
  readonly hostnames: readonly string[] | undefined;
}

/** Kinds whose listeners match on hostnames. */
function usesHostnames(kind: RouteKind): boolean {
  return kind === 'HTTPRoute' || kind === 'GRPCRoute' || kind === 'TLSRoute';
}

export function newRouteContext(kind: RouteKind, resource: AnyRoute): RouteContext {
  const spec = (resource.spec ?? {}) as { parentRefs?: ParentReference[]; hostnames?: string[] };
  return {
    kind,
    resource,
    namespace: resource.metadata.namespace ?? 'default',
    name: resource.metadata.name,
    creationTimestamp: resource.metadata.creationTimestamp,
    parentRefs: spec.parentRefs ?? [],
    hostnames: usesHostnames(kind) ? (spec.hostnames ?? []) : undefined,
  };
}

/** "HTTPRoute/ns/name", the route's id in IR and messages. */
export function routeId(r: RouteContext): string {
  return `${r.kind}/${r.namespace}/${r.name}`;
}

/** The referrer identity ReferenceGrants are checked against. */
export function routeReferrer(r: RouteContext): { group: string; kind: string; namespace: string } {
  return { group: GATEWAY_GROUP, kind: r.kind, namespace: r.namespace };
}
