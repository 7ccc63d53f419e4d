// UDPRoute: one weighted set of UDP backends on a UDP listener (Service ports must be UDP).

import type { L4BackendIR } from '../../ir/types.ts';
import type { RouteContext } from './context.ts';
import type { RouteEnv } from './env.ts';
import { compileL4Route } from './l4route.ts';

export function compileUDPRoute(env: RouteEnv, route: RouteContext): { backends: L4BackendIR[]; ruleCount: number } {
  return compileL4Route(env, route, 'udp');
}
