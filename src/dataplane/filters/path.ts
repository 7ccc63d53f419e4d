// Path modification shared by URLRewrite and RequestRedirect.
import type { PathModifierIR } from '../../ir/types.ts';

/** Splits "/a/b?x=1" into ["/a/b", "?x=1"]. */
export function splitPath(target: string): [string, string] {
  const q = target.indexOf('?');
  return q === -1 ? [target, ''] : [target.slice(0, q), target.slice(q)];
}

/**
 * Applies ReplaceFullPath / ReplacePrefixMatch to `path` (no query). `prefix` is the route's
 * PathPrefix match value. The Gateway API slash rules: the matched prefix is replaced element-wise,
 * and exactly one slash separates the replacement from the remainder ("/" + "/three" → "/three").
 */
export function modifyPath(mod: PathModifierIR, prefix: string | null, path: string): string {
  if (mod.type === 'ReplaceFullPath') return mod.value;
  let p = prefix ?? '/';
  while (p.length > 1 && p.endsWith('/')) p = p.slice(0, -1);
  if (p === '/') p = '';
  if (!path.startsWith(p)) return path;
  const rest = path.slice(p.length);
  let replacement = mod.value;
  if (rest === '' || rest === '/') {
    if (replacement === '') return rest === '' ? '/' : '/';
    return rest === '/' && !replacement.endsWith('/') ? replacement + '/' : replacement;
  }
  // rest starts with "/" because prefix matching is element-wise.
  if (replacement.endsWith('/')) replacement = replacement.slice(0, -1);
  const out = replacement + rest;
  return out.startsWith('/') ? out : '/' + out;
}
