// Route passes: every route kind attaches to listeners through the same parentRef logic
// (parentrefs.ts), compiles its rules once (RouteEnv), then fills the IR of each listener it
// attaches to and writes its status.
//
// Order: HTTPRoutes and GRPCRoutes together, oldest first, because the spec resolves a hostname
// overlap between an HTTPRoute and a GRPCRoute on one listener in favour of the older route;
// then TLSRoutes, TCPRoutes, UDPRoutes. Listener IR is built after all routes are known.

import type { AnyRoute } from '../../api/types.ts';
import type { L4BackendIR } from '../../ir/types.ts';
import { BackendResolver } from '../backends.ts';
import type { GatewayContext, ListenerContext, TranslateContext } from '../context.ts';
import { hostnamesOverlap } from '../hostname.ts';
import { compareRouteIdentity } from '../precedence.ts';
import { ReferenceGrantIndex } from '../referencegrant.ts';
import { newRouteContext, type RouteContext, type RouteKind, routeId } from './context.ts';
import { RouteEnv } from './env.ts';
import { compileGRPCRoute } from './grpcroute.ts';
import { type CompiledHTTPEntry, compileHTTPRoute } from './httproute.ts';
import { L4Collector } from './l4route.ts';
import { type Rejection, resolveParentRefs } from './parentrefs.ts';
import { allRulesDropped, type ParentResult, RESOLVED_REFS_OK, writeRouteStatus } from './status.ts';
import { compileTCPRoute } from './tcproute.ts';
import { compileTLSRoute } from './tlsroute.ts';
import { compileUDPRoute } from './udproute.ts';
import { VirtualHostCollector } from './virtualhosts.ts';

/** Attaches the compiled route to one listener; returns a rejection when the listener refuses it. */
type AttachFn = (listener: ListenerContext, hostnames: string[]) => Rejection | null;

interface Compiled {
  ruleCount: number;
  attach: AttachFn;
}

interface Pass {
  readonly ctx: TranslateContext;
  readonly gateways: readonly GatewayContext[];
  readonly resolver: BackendResolver;
  readonly vhosts: VirtualHostCollector;
  readonly l4: L4Collector;
  /** HTTP-family routes attached per listener, for the HTTPRoute/GRPCRoute hostname conflict rule. */
  readonly httpFamily: Map<ListenerContext, Record<'HTTPRoute' | 'GRPCRoute', { id: string; hostnames: string[] }[]>>;
}

export function translateRoutes(ctx: TranslateContext, gateways: GatewayContext[]): void {
  const pass: Pass = {
    ctx,
    gateways,
    resolver: new BackendResolver(ctx.snapshot, new ReferenceGrantIndex(ctx.snapshot)),
    vhosts: new VirtualHostCollector(),
    l4: new L4Collector(),
    httpFamily: new Map(),
  };
  const http = [...routesOf(ctx, 'HTTPRoute'), ...routesOf(ctx, 'GRPCRoute')].sort(compareRouteIdentity);
  for (const r of http) processRoute(pass, r, (env) => compileHTTPFamily(pass, env, r));
  for (const kind of ['TLSRoute', 'TCPRoute', 'UDPRoute'] as const) {
    for (const r of routesOf(ctx, kind)) processRoute(pass, r, (env) => compileL4(pass, env, r));
  }
  pass.vhosts.build();
  pass.l4.build();
}

function routesOf(ctx: TranslateContext, kind: RouteKind): RouteContext[] {
  return ctx.snapshot.list<AnyRoute>(kind).map((r) => newRouteContext(kind, r));
}

function processRoute(pass: Pass, route: RouteContext, compile: (env: RouteEnv) => Compiled): void {
  const attachments = resolveParentRefs(route, pass.gateways);
  if (attachments.length === 0) {
    // Not attached to anything we manage: only stale entries of ours (if any) get removed.
    writeRouteStatus(pass.ctx, route, [], {
      resolvedRefs: RESOLVED_REFS_OK,
      droppedRules: [],
      dropReason: null,
      ruleCount: 0,
    });
    return;
  }
  const env = new RouteEnv(route, pass.resolver);
  const compiled = compile(env);
  const outcome = env.outcome(compiled.ruleCount);
  const allDropped = allRulesDropped(outcome);
  const counted = new Set<ListenerContext>();
  const results: ParentResult[] = [];
  for (const a of attachments) {
    let rejection = a.rejection ?? allDropped;
    if (!rejection) {
      let attached = 0;
      let refused: Rejection | null = null;
      for (const { listener, hostnames } of a.listeners) {
        const r = compiled.attach(listener, hostnames);
        if (r) {
          refused ??= r;
          continue;
        }
        attached++;
        if (!counted.has(listener)) {
          counted.add(listener);
          listener.attachedRoutes++;
        }
      }
      if (attached === 0) rejection = refused;
      else env.addClustersTo(a.gateway);
    }
    results.push({ parentRef: a.parentRef, rejection });
  }
  writeRouteStatus(pass.ctx, route, results, outcome);
}

function compileHTTPFamily(pass: Pass, env: RouteEnv, route: RouteContext): Compiled {
  const { entries, ruleCount } =
    route.kind === 'GRPCRoute' ? compileGRPCRoute(env, route) : compileHTTPRoute(env, route);
  const id = routeId(route);
  return {
    ruleCount,
    attach(listener, hostnames) {
      // Only the other kind can clash, so each kind is kept in its own list: a listener with
      // thousands of HTTPRoutes and no GRPCRoute does no overlap checks at all.
      let family = pass.httpFamily.get(listener);
      if (!family) {
        family = { HTTPRoute: [], GRPCRoute: [] };
        pass.httpFamily.set(listener, family);
      }
      const others = route.kind === 'GRPCRoute' ? family.HTTPRoute : family.GRPCRoute;
      const clash = others.find((o) => hostnamesOverlap(o.hostnames, hostnames));
      if (clash) {
        return {
          reason: 'NotAllowedByListeners',
          message: `listener ${listener.ir.name} already serves ${clash.id} for overlapping hostnames; an HTTPRoute and a GRPCRoute cannot share a hostname (the older route wins)`,
        };
      }
      (route.kind === 'GRPCRoute' ? family.GRPCRoute : family.HTTPRoute).push({ id, hostnames });
      for (const e of entries) addHTTPEntry(pass, listener, route, e, hostnames);
      return null;
    },
  };
}

function addHTTPEntry(
  pass: Pass,
  listener: ListenerContext,
  route: RouteContext,
  e: CompiledHTTPEntry,
  hostnames: string[],
): void {
  pass.vhosts.add(listener, {
    ir: e.ir,
    hostnames,
    match: e.ir.match,
    creationTimestamp: route.creationTimestamp,
    namespace: route.namespace,
    name: route.name,
    ruleIndex: e.ruleIndex,
    matchIndex: e.matchIndex,
  });
}

function compileL4(pass: Pass, env: RouteEnv, route: RouteContext): Compiled {
  let compiled: { backends: L4BackendIR[]; ruleCount: number };
  if (route.kind === 'TLSRoute') compiled = compileTLSRoute(env, route);
  else if (route.kind === 'TCPRoute') compiled = compileTCPRoute(env, route);
  else compiled = compileUDPRoute(env, route);
  return {
    ruleCount: compiled.ruleCount,
    attach(listener, hostnames) {
      pass.l4.add(listener, route, hostnames, compiled.backends);
      return null;
    },
  };
}
