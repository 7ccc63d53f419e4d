// HTTPRoute rules → HTTPRouteIR, one per (rule, match). Invalid rules (unsupported values,
// incompatible filters) are dropped and reported; the rest are served.

import type {
  HTTPHeaderMatch,
  HTTPQueryParamMatch,
  HTTPRoute,
  HTTPRouteMatch,
  HTTPRouteRule,
} from '../../api/types.ts';
import type { HTTPMatchIR, HTTPRouteIR, StringMatchIR } from '../../ir/types.ts';
import type { RouteContext } from './context.ts';
import type { RouteEnv } from './env.ts';
import { compileFilters } from './filters.ts';
import {
  compileRetry,
  compileSessionPersistence,
  compileTimeouts,
  isRejection,
  regexProblem,
  ruleAction,
} from './httprule.ts';
import type { Rejection } from './parentrefs.ts';

/** One compiled (rule, match), independent of the listener it ends up on. */
export interface CompiledHTTPEntry {
  ruleIndex: number;
  matchIndex: number;
  ir: HTTPRouteIR;
}

export const HTTP_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH']);

/** The spec's default for a rule without matches: a PathPrefix "/" match. */
const DEFAULT_MATCHES: HTTPRouteMatch[] = [{ path: { type: 'PathPrefix', value: '/' } }];

/**
 * Header/query matches: the first entry of a name wins (later duplicates are ignored, per spec).
 * Header names compare case-insensitively and are lower-cased; query param names are exact.
 */
export function compileStringMatches(
  list: readonly (HTTPHeaderMatch | HTTPQueryParamMatch)[] | undefined,
  lowerCaseNames: boolean,
  what: string,
): StringMatchIR[] | Rejection {
  const out: StringMatchIR[] = [];
  if (!list) return out;
  for (const m of list) {
    const name = lowerCaseNames ? m.name.toLowerCase() : m.name;
    // Lists are short (the CRD caps them at 16): a scan beats a Set per match.
    if (out.some((o) => o.name === name)) continue;
    const type = m.type ?? 'Exact';
    if (type !== 'Exact' && type !== 'RegularExpression')
      return { reason: 'UnsupportedValue', message: `${what} match type "${type}" is not supported` };
    if (type === 'RegularExpression') {
      const p = regexProblem(m.value, `${what} ${m.name}`);
      if (p) return p;
    }
    out.push({ type, name, value: m.value });
  }
  return out;
}

function compileMatch(m: HTTPRouteMatch): HTTPMatchIR | Rejection {
  const type = m.path?.type ?? 'PathPrefix';
  const value = m.path?.value ?? '/';
  if (type !== 'Exact' && type !== 'PathPrefix' && type !== 'RegularExpression') {
    return { reason: 'UnsupportedValue', message: `path match type "${type}" is not supported` };
  }
  if (type === 'RegularExpression') {
    const p = regexProblem(value, 'path');
    if (p) return p;
  } else if (!value.startsWith('/')) {
    return { reason: 'UnsupportedValue', message: `path "${value}" must start with "/"` };
  }
  const headers = compileStringMatches(m.headers, true, 'header');
  if (!Array.isArray(headers)) return headers;
  const queryParams = compileStringMatches(m.queryParams, false, 'query param');
  if (!Array.isArray(queryParams)) return queryParams;
  const out: HTTPMatchIR = { path: { type, value }, headers, queryParams };
  if (m.method !== undefined) {
    if (!HTTP_METHODS.has(m.method))
      return { reason: 'UnsupportedValue', message: `method "${m.method}" is not supported` };
    out.method = m.method;
  }
  return out;
}

function compileRule(
  env: RouteEnv,
  route: RouteContext,
  rule: HTTPRouteRule,
  ruleIndex: number,
): CompiledHTTPEntry[] | Rejection {
  const matches = rule.matches && rule.matches.length > 0 ? rule.matches : DEFAULT_MATCHES;
  const compiledMatches: HTTPMatchIR[] = [];
  for (const m of matches) {
    const c = compileMatch(m);
    if (isRejection(c)) return c;
    compiledMatches.push(c);
  }
  const timeouts = compileTimeouts(rule.timeouts);
  if (isRejection(timeouts)) return timeouts;
  const retry = compileRetry(rule.retry);
  if (isRejection(retry)) return retry;
  const session = compileSessionPersistence(rule.sessionPersistence);
  if (isRejection(session)) return session;
  // Filters and backends last: they resolve references, which only a valid rule should record.
  const filters = compileFilters(env, rule.filters, { routeKind: 'HTTPRoute', level: 'rule', matches });
  if (filters.invalid) return filters.invalid;
  const action = ruleAction(env, rule.backendRefs, filters.redirect, filters.fail500, 'HTTPRoute', matches);
  if (isRejection(action)) return action;

  return compiledMatches.map((match, matchIndex) => {
    const ir: HTTPRouteIR = {
      name: `httproute/${route.namespace}/${route.name}/rule/${ruleIndex}/match/${matchIndex}`,
      route: `HTTPRoute/${route.namespace}/${route.name}`,
      ruleIndex,
      ...(rule.name ? { ruleName: rule.name } : {}),
      match,
      filters: filters.filters,
      action,
    };
    if (timeouts) ir.timeouts = { ...timeouts };
    if (retry) ir.retry = { ...retry, codes: [...retry.codes] };
    if (session) ir.sessionPersistence = { ...session };
    return { ruleIndex, matchIndex, ir };
  });
}

/**
 * Compiles every rule of an HTTPRoute or GRPCRoute; invalid ones are recorded on `env` and left
 * out. Spec default: a route without rules has one rule matching every request.
 */
export function compileRules<Rule extends object>(
  env: RouteEnv,
  rules: readonly Rule[] | undefined,
  compile: (rule: Rule, index: number) => CompiledHTTPEntry[] | Rejection,
): { entries: CompiledHTTPEntry[]; ruleCount: number } {
  const list: readonly Rule[] = rules && rules.length > 0 ? rules : [{} as Rule];
  const entries: CompiledHTTPEntry[] = [];
  list.forEach((rule, i) => {
    const r = compile(rule, i);
    if (isRejection(r)) env.dropRule(i, r);
    else entries.push(...r);
  });
  return { entries, ruleCount: list.length };
}

export function compileHTTPRoute(
  env: RouteEnv,
  route: RouteContext,
): { entries: CompiledHTTPEntry[]; ruleCount: number } {
  return compileRules<HTTPRouteRule>(env, (route.resource as HTTPRoute).spec?.rules, (rule, i) =>
    compileRule(env, route, rule, i),
  );
}
