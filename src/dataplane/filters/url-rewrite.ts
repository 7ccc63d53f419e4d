// URLRewrite: hostname and/or path (ReplaceFullPath / ReplacePrefixMatch), query kept.
import type { PathModifierIR } from '../../ir/types.ts';
import { modifyPath, splitPath } from './path.ts';
import type { Filter, FilterCompileContext, FilterRequest } from './types.ts';

export function urlRewrite(ir: { hostname?: string; path?: PathModifierIR }, ctx: FilterCompileContext): Filter {
  const hostname = ir.hostname ?? null;
  const pathMod = ir.path ?? null;
  const m = ctx.route.match.path;
  const prefix = m !== undefined && m.type === 'PathPrefix' ? m.value : null;
  return {
    onRequest(req: FilterRequest): boolean {
      if (hostname !== null) req.authority = hostname;
      if (pathMod !== null) {
        const [path, query] = splitPath(req.path);
        req.path = modifyPath(pathMod, prefix, path) + query;
      }
      return false;
    },
    onResponse: null,
  };
}
