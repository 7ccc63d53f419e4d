// TLSRoute (v1alpha2, v1alpha3 and v1 share the kind): served on TLS listeners by SNI, in
// Passthrough mode (raw bytes to the backend) or Terminate mode (decrypted, then proxied as TCP).
// Hostnames intersect with the listener's like HTTPRoute's; backends are TCP clusters.

import type { L4BackendIR } from '../../ir/types.ts';
import type { RouteContext } from './context.ts';
import type { RouteEnv } from './env.ts';
import { compileL4Route } from './l4route.ts';

export function compileTLSRoute(env: RouteEnv, route: RouteContext): { backends: L4BackendIR[]; ruleCount: number } {
  return compileL4Route(env, route, 'tcp');
}
