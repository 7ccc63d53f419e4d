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
  /** Identifies the backend inputs of this translation (see ruleDependencies). */
  readonly deps: object;
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
    deps: ruleDependencies(ctx),
    gateways,
    resolver: new BackendResolver(ctx.snapshot, new ReferenceGrantIndex(ctx.snapshot)),
    vhosts: new VirtualHostCollector(),
    l4: new L4Collector(),
    httpFamily: new Map(),
  };
  const http = [...routesOf(ctx, 'HTTPRoute'), ...routesOf(ctx, 'GRPCRoute')].sort(compareRouteIdentity);
  for (const r of http) processRoute(pass, r, () => compileHTTPFamily(pass, r));
  for (const kind of ['TLSRoute', 'TCPRoute', 'UDPRoute'] as const) {
    for (const r of routesOf(ctx, kind)) processRoute(pass, r, () => compileL4(pass, r));
  }
  pass.vhosts.build();
  pass.l4.build();
}

function routesOf(ctx: TranslateContext, kind: RouteKind): RouteContext[] {
  return ctx.snapshot.list<AnyRoute>(kind).map((r) => newRouteContext(kind, r));
}

/**
 * Rules of routes compiled by earlier translations, by route object. A route's rules depend on the
 * route and on the resources its backendRefs resolve through, nothing else (listeners and
 * hostnames come in at attach time). When the route is the same object and those resources are
 * the same objects as when it was compiled (serve keeps the objects of unchanged files), the
 * compilation is reused: the output is identical, only faster. Entries hold no resolver, so an
 * old snapshot is not kept alive by them.
 */
const ruleCache = new WeakMap<AnyRoute, { deps: object; env: RouteEnv; rules: unknown }>();
const DEPENDENCY_KINDS = ['Service', 'EndpointSlice', 'Backend', 'ReferenceGrant'] as const;
let lastDependencies: { lists: readonly (readonly object[])[]; token: object } | null = null;

/** A token that is the same object as long as the backendRef inputs are the same objects. */
function ruleDependencies(ctx: TranslateContext): object {
  const lists = DEPENDENCY_KINDS.map((k) => ctx.snapshot.list(k));
  const last = lastDependencies;
  if (last !== null && lists.every((l, i) => sameObjects(l, last.lists[i]!))) return last.token;
  lastDependencies = { lists, token: {} };
  return lastDependencies.token;
}

function sameObjects(a: readonly object[], b: readonly object[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function compiledRules<R>(pass: Pass, route: RouteContext, compile: (env: RouteEnv) => R): { env: RouteEnv; rules: R } {
  const hit = ruleCache.get(route.resource);
  if (hit !== undefined && hit.deps === pass.deps) return { env: hit.env, rules: hit.rules as R };
  const env = new RouteEnv(route, pass.resolver);
  const rules = compile(env);
  env.seal();
  ruleCache.set(route.resource, { deps: pass.deps, env, rules });
  return { env, rules };
}

function processRoute(pass: Pass, route: RouteContext, compile: () => { env: RouteEnv; compiled: Compiled }): void {
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
  const { env, compiled } = compile();
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

function compileHTTPFamily(pass: Pass, route: RouteContext): { env: RouteEnv; compiled: Compiled } {
  const { env, rules } = compiledRules(pass, route, (e) =>
    route.kind === 'GRPCRoute' ? compileGRPCRoute(e, route) : compileHTTPRoute(e, route),
  );
  const { entries, ruleCount } = rules;
  const id = routeId(route);
  const compiled: Compiled = {
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
  return { env, compiled };
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

function compileL4(pass: Pass, route: RouteContext): { env: RouteEnv; compiled: Compiled } {
  const { env, rules } = compiledRules(pass, route, (e): { backends: L4BackendIR[]; ruleCount: number } => {
    if (route.kind === 'TLSRoute') return compileTLSRoute(e, route);
    if (route.kind === 'TCPRoute') return compileTCPRoute(e, route);
    return compileUDPRoute(e, route);
  });
  return {
    env,
    compiled: {
      ruleCount: rules.ruleCount,
      attach(listener, hostnames) {
        pass.l4.add(listener, route, hostnames, rules.backends);
        return null;
      },
    },
  };
}
