// HTTPRoute / GRPCRoute filters → HTTPFilterIR (and a redirect action). Three failure modes, as
// the spec separates them:
//   - a filter the API does not define, or a value outside an enum, makes the rule invalid
//     (Accepted=False / PartiallyInvalid, reason UnsupportedValue; the rule is dropped);
//   - RequestRedirect together with URLRewrite: invalid, reason IncompatibleFilters;
//   - a filter that is defined but cannot be honoured (ExtensionRef to a kind Portunus does not
//     implement, ExternalAuth) must not be skipped: requests it would process get a 500 and the
//     route gets ResolvedRefs=False. An invalid RequestMirror backend is dropped (spec) with
//     ResolvedRefs=False.

import type { HTTPHeaderFilter, HTTPPathModifier, HTTPRouteFilter, HTTPRouteMatch } from '../../api/types.ts';
import type { HeaderModifierIR, HTTPFilterIR, PathModifierIR, RedirectIR } from '../../ir/types.ts';
import type { RouteEnv } from './env.ts';
import type { Rejection } from './parentrefs.ts';

export interface CompiledFilters {
  filters: HTTPFilterIR[];
  redirect?: RedirectIR;
  /** A filter cannot be honoured: requests get a 500. */
  fail500: boolean;
  /** The rule is invalid and must be dropped. */
  invalid: Rejection | null;
}

/** Where the filters appear: rule level or backendRef level, and which types the kind defines. */
export interface FilterScope {
  routeKind: 'HTTPRoute' | 'GRPCRoute';
  level: 'rule' | 'backendRef';
  /** The rule's matches (ReplacePrefixMatch needs exactly one PathPrefix match). */
  matches: readonly HTTPRouteMatch[];
}

const HTTP_TYPES = new Set([
  'RequestHeaderModifier',
  'ResponseHeaderModifier',
  'RequestRedirect',
  'URLRewrite',
  'RequestMirror',
  'CORS',
  'ExternalAuth',
  'ExtensionRef',
]);
const GRPC_TYPES = new Set(['RequestHeaderModifier', 'ResponseHeaderModifier', 'RequestMirror', 'ExtensionRef']);
const REDIRECT_CODES = new Set([301, 302, 303, 307, 308]);

function unsupported(message: string): Rejection {
  return { reason: 'UnsupportedValue', message };
}

export function headerModifier(f: HTTPHeaderFilter): HeaderModifierIR {
  return {
    set: (f.set ?? []).map((h) => ({ name: h.name, value: h.value })),
    add: (f.add ?? []).map((h) => ({ name: h.name, value: h.value })),
    remove: [...(f.remove ?? [])],
  };
}

function pathModifier(p: HTTPPathModifier, scope: FilterScope, what: string): PathModifierIR | Rejection {
  if (p.type === 'ReplaceFullPath') return { type: 'ReplaceFullPath', value: p.replaceFullPath ?? '/' };
  if (p.type === 'ReplacePrefixMatch') {
    const m = scope.matches;
    if (m.length !== 1 || (m[0]!.path?.type ?? 'PathPrefix') !== 'PathPrefix') {
      return unsupported(`${what} path.replacePrefixMatch requires exactly one PathPrefix match in the rule`);
    }
    return { type: 'ReplacePrefixMatch', value: p.replacePrefixMatch ?? '' };
  }
  return unsupported(`${what} path type "${p.type}" is not supported`);
}

const NO_FILTERS: CompiledFilters = Object.freeze({
  filters: Object.freeze([]) as unknown as HTTPFilterIR[],
  fail500: false,
  invalid: null,
});

export function compileFilters(
  env: RouteEnv,
  filters: readonly HTTPRouteFilter[] | undefined,
  scope: FilterScope,
): CompiledFilters {
  // Most rules and nearly all backendRefs have no filters: share one empty result (the IR is
  // immutable, so the shared empty list is never written to).
  if (!filters || filters.length === 0) return NO_FILTERS;
  const out: CompiledFilters = { filters: [], fail500: false, invalid: null };
  const known = scope.routeKind === 'GRPCRoute' ? GRPC_TYPES : HTTP_TYPES;
  const list = filters;
  if (list.some((f) => f.type === 'RequestRedirect') && list.some((f) => f.type === 'URLRewrite')) {
    out.invalid = {
      reason: 'IncompatibleFilters',
      message: 'RequestRedirect and URLRewrite filters cannot be combined',
    };
    return out;
  }
  for (const f of list) {
    if (!known.has(f.type)) {
      out.invalid = unsupported(`filter type "${f.type}" is not supported by ${scope.routeKind}`);
      return out;
    }
    const problem = compileOne(env, f, scope, out);
    if (problem) {
      out.invalid = problem;
      return out;
    }
  }
  return out;
}

/** Compiles one known filter into `out`; returns a rejection when the rule is invalid. */
function compileOne(env: RouteEnv, f: HTTPRouteFilter, scope: FilterScope, out: CompiledFilters): Rejection | null {
  const missing = (field: string) => unsupported(`filter ${f.type} requires the ${field} field`);
  switch (f.type) {
    case 'RequestHeaderModifier':
      if (!f.requestHeaderModifier) return missing('requestHeaderModifier');
      out.filters.push({ type: 'RequestHeaderModifier', modifier: headerModifier(f.requestHeaderModifier) });
      return null;
    case 'ResponseHeaderModifier':
      if (!f.responseHeaderModifier) return missing('responseHeaderModifier');
      out.filters.push({ type: 'ResponseHeaderModifier', modifier: headerModifier(f.responseHeaderModifier) });
      return null;
    case 'RequestRedirect': {
      const r = f.requestRedirect;
      if (!r) return missing('requestRedirect');
      if (scope.level === 'backendRef') return unsupported('RequestRedirect is not supported in backendRef filters');
      const statusCode = r.statusCode ?? 302;
      if (!REDIRECT_CODES.has(statusCode))
        return unsupported(`RequestRedirect statusCode ${statusCode} is not supported`);
      if (r.scheme !== undefined && r.scheme !== 'http' && r.scheme !== 'https') {
        return unsupported(`RequestRedirect scheme "${r.scheme}" is not supported`);
      }
      const redirect: RedirectIR = { statusCode };
      if (r.scheme) redirect.scheme = r.scheme;
      if (r.hostname) redirect.hostname = r.hostname;
      if (r.port !== undefined) redirect.port = r.port;
      if (r.path) {
        const p = pathModifier(r.path, scope, 'RequestRedirect');
        if ('reason' in p) return p;
        redirect.path = p;
      }
      out.redirect = redirect;
      return null;
    }
    case 'URLRewrite': {
      const r = f.urlRewrite;
      if (!r) return missing('urlRewrite');
      const ir: Extract<HTTPFilterIR, { type: 'URLRewrite' }> = { type: 'URLRewrite' };
      if (r.hostname) ir.hostname = r.hostname;
      if (r.path) {
        const p = pathModifier(r.path, scope, 'URLRewrite');
        if ('reason' in p) return p;
        ir.path = p;
      }
      out.filters.push(ir);
      return null;
    }
    case 'RequestMirror': {
      const m = f.requestMirror;
      if (!m) return missing('requestMirror');
      const cluster = env.backend(m.backendRef, scope.routeKind === 'GRPCRoute' ? 'grpc' : 'http');
      // Spec: an unresolvable mirror backend is not configured (ResolvedRefs=False is recorded).
      if (cluster === null) return null;
      let numerator = 100;
      let denominator = 100;
      if (m.fraction) {
        numerator = m.fraction.numerator;
        denominator = m.fraction.denominator ?? 100;
      } else if (m.percent !== undefined) {
        numerator = m.percent;
      }
      if (denominator <= 0 || numerator < 0 || numerator > denominator) {
        return unsupported(`RequestMirror fraction ${numerator}/${denominator} is not valid`);
      }
      out.filters.push({ type: 'RequestMirror', cluster, numerator, denominator });
      return null;
    }
    case 'CORS': {
      const c = f.cors;
      if (!c) return missing('cors');
      out.filters.push({
        type: 'CORS',
        allowOrigins: [...(c.allowOrigins ?? [])],
        allowCredentials: c.allowCredentials ?? false,
        allowMethods: [...(c.allowMethods ?? [])],
        allowHeaders: [...(c.allowHeaders ?? [])],
        exposeHeaders: [...(c.exposeHeaders ?? [])],
        maxAge: c.maxAge ?? 5,
      });
      return null;
    }
    case 'ExtensionRef': {
      const ref = f.extensionRef;
      const what = ref
        ? `${ref.kind}${ref.group ? `.${ref.group}` : ''} ${env.route.namespace}/${ref.name}`
        : '(missing extensionRef)';
      env.refError('InvalidKind', `ExtensionRef filter ${what} is not supported; requests matching the rule get a 500`);
      out.fail500 = true;
      return null;
    }
    case 'ExternalAuth':
      // Failing closed: skipping an auth filter would let requests through unauthenticated.
      env.refError('UnsupportedValue', 'ExternalAuth filter is not supported; requests matching the rule get a 500');
      out.fail500 = true;
      return null;
    default:
      return unsupported(`filter type "${f.type}" is not supported`);
  }
}
