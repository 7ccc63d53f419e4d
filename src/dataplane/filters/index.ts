// The explicit list of HTTP filters. Adding a filter means adding a module and a case here.
import type { HTTPFilterIR } from '../../ir/types.ts';
import { cors } from './cors.ts';
import { requestHeaderModifier, responseHeaderModifier } from './header-modifier.ts';
import { requestMirror } from './mirror.ts';
import type { Filter, FilterCompileContext } from './types.ts';
import { urlRewrite } from './url-rewrite.ts';

export type { Filter, FilterCompileContext, FilterRequest } from './types.ts';

export function compileFilter(ir: HTTPFilterIR, ctx: FilterCompileContext): Filter {
  switch (ir.type) {
    case 'RequestHeaderModifier':
      return requestHeaderModifier(ir);
    case 'ResponseHeaderModifier':
      return responseHeaderModifier(ir);
    case 'URLRewrite':
      return urlRewrite(ir, ctx);
    case 'RequestMirror':
      return requestMirror(ir, ctx);
    case 'CORS':
      return cors(ir);
  }
}

export interface FilterChain {
  /** Filters with a request hook, in order. */
  readonly request: readonly Filter[];
  /** Filters with a response hook, in order. */
  readonly response: readonly Filter[];
}

export const EMPTY_CHAIN: FilterChain = { request: [], response: [] };

export function compileChain(filters: HTTPFilterIR[], ctx: FilterCompileContext): FilterChain {
  if (filters.length === 0) return EMPTY_CHAIN;
  const compiled = filters.map((f) => compileFilter(f, ctx));
  return {
    request: compiled.filter((f) => f.onRequest !== null),
    response: compiled.filter((f) => f.onResponse !== null),
  };
}
