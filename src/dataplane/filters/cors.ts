// CORS: preflights are answered by the gateway; actual requests get the allow-origin family of headers
// on their response. The allowed origin is always echoed (never "*"), which is valid with and
// without credentials.
import { appendHeader, setHeader } from '../headers.ts';
import type { Filter, FilterRequest } from './types.ts';

interface CorsIR {
  allowOrigins: string[];
  allowCredentials: boolean;
  allowMethods: string[];
  allowHeaders: string[];
  exposeHeaders: string[];
  maxAge: number;
}

function originMatcher(patterns: string[]): (origin: string) => boolean {
  if (patterns.includes('*')) return () => true;
  const exact = new Set<string>();
  const regexes: RegExp[] = [];
  for (const p of patterns) {
    if (p.includes('*')) {
      // "https://*.bar.com": the wildcard spans one or more labels.
      const re = p
        .toLowerCase()
        .split('*')
        .map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
        .join('.+');
      regexes.push(new RegExp('^' + re + '$'));
    } else {
      exact.add(p.toLowerCase());
    }
  }
  return (origin) => {
    const o = origin.toLowerCase();
    if (exact.has(o)) return true;
    for (const r of regexes) if (r.test(o)) return true;
    return false;
  };
}

export function cors(ir: CorsIR): Filter {
  const allowed = originMatcher(ir.allowOrigins);
  const anyMethod = ir.allowMethods.includes('*');
  const anyHeader = ir.allowHeaders.includes('*');
  const methods = ir.allowMethods.join(', ');
  const allowHeaders = ir.allowHeaders.join(', ');
  const expose = ir.exposeHeaders.filter((h) => h !== '*').join(', ');
  const maxAge = ir.maxAge > 0 ? String(ir.maxAge) : '';
  return {
    onRequest(req: FilterRequest): boolean {
      if (req.method !== 'OPTIONS') return false;
      const origin = req.header('origin');
      const requestMethod = req.header('access-control-request-method');
      if (origin === undefined || requestMethod === undefined) return false;
      const headers: string[] = [];
      if (allowed(origin)) {
        headers.push('access-control-allow-origin', origin);
        const m = anyMethod ? requestMethod : methods;
        if (m !== '') headers.push('access-control-allow-methods', m);
        const requested = req.header('access-control-request-headers');
        const h = anyHeader ? (requested ?? '') : allowHeaders;
        if (h !== '') headers.push('access-control-allow-headers', h);
        if (expose !== '') headers.push('access-control-expose-headers', expose);
        if (maxAge !== '') headers.push('access-control-max-age', maxAge);
        if (ir.allowCredentials) headers.push('access-control-allow-credentials', 'true');
      }
      headers.push('vary', 'Origin');
      req.respondLocal(200, headers, '', '');
      return true;
    },
    onResponse(req: FilterRequest, headers: string[]): void {
      const origin = req.header('origin');
      if (origin === undefined || !allowed(origin)) return;
      setHeader(headers, 'access-control-allow-origin', origin);
      if (ir.allowCredentials) setHeader(headers, 'access-control-allow-credentials', 'true');
      if (expose !== '') setHeader(headers, 'access-control-expose-headers', expose);
      appendHeader(headers, 'vary', 'Origin');
    },
  };
}
