// GRPCRoute rules → HTTPRouteIR (grpc: true). A gRPC method match compiles to a match on the
// HTTP/2 :path "/<service>/<method>":
//   Exact service + method   → Exact "/svc/Method"
//   Exact service only       → PathPrefix "/svc" (segment-wise: "/svc/…", never "/svc.v2/…")
//   Exact method only        → RegularExpression "/[^/]+/Method"
//   RegularExpression        → RegularExpression "/<service or [^/]+>/<method or [^/]+>"
// Backends default to h2c.

import type { GRPCRoute, GRPCRouteMatch, GRPCRouteRule, HTTPRouteFilter, HTTPRouteMatch } from '../../api/types.ts';
import type { HTTPMatchIR, HTTPRouteIR } from '../../ir/types.ts';
import type { RouteContext } from './context.ts';
import type { RouteEnv } from './env.ts';
import { compileFilters } from './filters.ts';
import { type CompiledHTTPEntry, compileRules, compileStringMatches } from './httproute.ts';
import { compileSessionPersistence, isRejection, regexProblem, ruleAction } from './httprule.ts';
import type { Rejection } from './parentrefs.ts';

const ANY_SEGMENT = '[^/]+';

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function compileGRPCMatch(m: GRPCRouteMatch): HTTPMatchIR | Rejection {
  const headers = compileStringMatches(m.headers, true, 'header');
  if (!Array.isArray(headers)) return headers;
  const method = m.method;
  if (!method) return { path: { type: 'PathPrefix', value: '/' }, headers, queryParams: [], grpc: { type: 'Exact' } };
  const type = method.type ?? 'Exact';
  const service = method.service || undefined;
  const name = method.method || undefined;
  if (!service && !name)
    return { reason: 'UnsupportedValue', message: 'a gRPC method match needs a service or a method' };
  const grpc: NonNullable<HTTPMatchIR['grpc']> = { type: type === 'RegularExpression' ? 'RegularExpression' : 'Exact' };
  if (service) grpc.service = service;
  if (name) grpc.method = name;
  if (type === 'Exact') {
    if (service?.includes('/') || name?.includes('/'))
      return { reason: 'UnsupportedValue', message: 'an Exact gRPC service or method must not contain "/"' };
    if (service && name)
      return { path: { type: 'Exact', value: `/${service}/${name}` }, headers, queryParams: [], grpc };
    if (service) return { path: { type: 'PathPrefix', value: `/${service}` }, headers, queryParams: [], grpc };
    return {
      path: { type: 'RegularExpression', value: `/${ANY_SEGMENT}/${escapeRegExp(name!)}` },
      headers,
      queryParams: [],
      grpc,
    };
  }
  if (type !== 'RegularExpression')
    return { reason: 'UnsupportedValue', message: `gRPC method match type "${type}" is not supported` };
  for (const [what, v] of [
    ['gRPC service', service],
    ['gRPC method', name],
  ] as const) {
    if (v === undefined) continue;
    const p = regexProblem(v, what);
    if (p) return p;
  }
  const value = `/${service ?? ANY_SEGMENT}/${name ?? ANY_SEGMENT}`;
  return { path: { type: 'RegularExpression', value }, headers, queryParams: [], grpc };
}

function compileRule(
  env: RouteEnv,
  route: RouteContext,
  rule: GRPCRouteRule,
  ruleIndex: number,
): CompiledHTTPEntry[] | Rejection {
  const matches = rule.matches && rule.matches.length > 0 ? rule.matches : [{}];
  const compiled: HTTPMatchIR[] = [];
  for (const m of matches) {
    const c = compileGRPCMatch(m);
    if (isRejection(c)) return c;
    compiled.push(c);
  }
  // Filters reuse the HTTPRoute compiler; GRPCRoute defines a subset of the types and no path filters.
  const noPathMatches: HTTPRouteMatch[] = [];
  const filters = compileFilters(env, rule.filters as HTTPRouteFilter[] | undefined, {
    routeKind: 'GRPCRoute',
    level: 'rule',
    matches: noPathMatches,
  });
  if (filters.invalid) return filters.invalid;
  const session = compileSessionPersistence(rule.sessionPersistence);
  if (isRejection(session)) return session;
  const action = ruleAction(env, rule.backendRefs, undefined, filters.fail500, 'GRPCRoute', noPathMatches);
  if (isRejection(action)) return action;
  return compiled.map((match, matchIndex) => {
    const ir: HTTPRouteIR = {
      name: `grpcroute/${route.namespace}/${route.name}/rule/${ruleIndex}/match/${matchIndex}`,
      route: `GRPCRoute/${route.namespace}/${route.name}`,
      ruleIndex,
      ...(rule.name ? { ruleName: rule.name } : {}),
      match,
      filters: filters.filters,
      action,
      grpc: true,
    };
    if (session) ir.sessionPersistence = { ...session };
    return { ruleIndex, matchIndex, ir };
  });
}

export function compileGRPCRoute(
  env: RouteEnv,
  route: RouteContext,
): { entries: CompiledHTTPEntry[]; ruleCount: number } {
  return compileRules<GRPCRouteRule>(env, (route.resource as GRPCRoute).spec?.rules, (rule, i) =>
    compileRule(env, route, rule, i),
  );
}
