// TCPRoute: one weighted set of TCP backends on a TCP listener.

import type { L4BackendIR } from '../../ir/types.ts';
import type { RouteContext } from './context.ts';
import type { RouteEnv } from './env.ts';
import { compileL4Route } from './l4route.ts';

export function compileTCPRoute(env: RouteEnv, route: RouteContext): { backends: L4BackendIR[]; ruleCount: number } {
  return compileL4Route(env, route, 'tcp');
}
