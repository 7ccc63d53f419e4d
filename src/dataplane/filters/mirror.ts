// RequestMirror: a fire-and-forget copy of the request to another cluster, for a fraction of requests.
import type { Filter, FilterCompileContext, FilterRequest } from './types.ts';

export function requestMirror(
  ir: { cluster: string; numerator: number; denominator: number },
  ctx: FilterCompileContext,
): Filter {
  const cluster = ctx.cluster(ir.cluster);
  const fraction = ir.denominator > 0 ? ir.numerator / ir.denominator : 1;
  if (cluster === null || fraction <= 0) return { onRequest: null, onResponse: null };
  return {
    onRequest(req: FilterRequest): boolean {
      if (fraction >= 1 || Math.random() < fraction) req.mirror(cluster);
      return false;
    },
    onResponse: null,
  };
}
