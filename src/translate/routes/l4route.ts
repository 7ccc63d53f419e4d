// Shared by TLSRoute, TCPRoute and UDPRoute: backends of all rules (L4 routes have no matches)
// become one weighted L4RouteIR; per listener, the collector decides what is served.
//
// TCP and UDP listeners serve one route. When several attach, the spec's conflict rule applies:
// the oldest (then "{namespace}/{name}") is served; all of them stay Accepted and are counted in
// attachedRoutes (conformance TCPRouteMultipleRoutesAttachment asserts exactly this).
// TLS listeners route by SNI: a hostname claimed by an older TLSRoute is not served by a newer one.
// (A route whose hostnames are all claimed stays Accepted, like the TCP case.)

import type { L4RouteRule, TCPRoute } from '../../api/types.ts';
import type { L4BackendIR, L4RouteIR } from '../../ir/types.ts';
import type { BackendUse } from '../backends.ts';
import type { ListenerContext } from '../context.ts';
import { compareHostnameSpecificity } from '../hostname.ts';
import { compareRouteIdentity } from '../precedence.ts';
import { type RouteContext, routeId } from './context.ts';
import type { RouteEnv } from './env.ts';

export function compileL4Route(
  env: RouteEnv,
  route: RouteContext,
  use: BackendUse,
): { backends: L4BackendIR[]; ruleCount: number } {
  const rules: L4RouteRule[] = (route.resource as TCPRoute).spec?.rules ?? [];
  const backends: L4BackendIR[] = [];
  for (const rule of rules) {
    for (const ref of rule.backendRefs ?? [])
      backends.push({ cluster: env.backend(ref, use), weight: ref.weight ?? 1 });
  }
  return { backends, ruleCount: rules.length };
}

interface L4Entry {
  route: RouteContext;
  /** Hostnames on this listener; "*" means any. */
  hostnames: string[];
  backends: L4BackendIR[];
}

export class L4Collector {
  readonly #byListener = new Map<ListenerContext, L4Entry[]>();

  add(listener: ListenerContext, route: RouteContext, hostnames: string[], backends: L4BackendIR[]): void {
    const e: L4Entry = { route, hostnames, backends };
    const list = this.#byListener.get(listener);
    if (list) list.push(e);
    else this.#byListener.set(listener, [e]);
  }

  build(): void {
    for (const [listener, entries] of this.#byListener) {
      const ordered = [...entries].sort((a, b) => compareRouteIdentity(a.route, b.route));
      switch (listener.ir.protocol) {
        case 'TCP':
          listener.ir.tcpRoute = toIR(ordered[0]!, []);
          break;
        case 'UDP':
          listener.ir.udpRoute = toIR(ordered[0]!, []);
          break;
        case 'TLS':
          listener.ir.tlsRoutes = tlsRoutes(ordered);
          break;
        default:
          break;
      }
    }
  }
}

function toIR(e: L4Entry, hostnames: string[]): L4RouteIR {
  return { route: routeId(e.route), hostnames, backends: e.backends.map((b) => ({ ...b })) };
}

/**
 * One entry per SNI hostname, most specific first (exact names, longer wildcards, then any), so a
 * data plane taking the first match picks the most specific route. A hostname goes to the oldest
 * route naming it.
 */
function tlsRoutes(ordered: readonly L4Entry[]): L4RouteIR[] {
  const owner = new Map<string, L4Entry>();
  for (const e of ordered) {
    for (const h of e.hostnames) if (!owner.has(h)) owner.set(h, e);
  }
  return [...owner.keys()].sort(compareHostnameSpecificity).map((h) => toIR(owner.get(h)!, h === '*' ? [] : [h]));
}
