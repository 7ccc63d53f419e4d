// HTTP listeners: routes attached to a listener are grouped into virtual hosts by hostname
// (the intersection of listener and route hostnames), virtual hosts ordered most specific first.
//
// The spec orders routes across hostnames rather than isolating them: a request for
// "shop.example.com" is matched against routes for "shop.example.com" first, then against routes
// for "*.example.com", then routes without hostname. A data plane selects one virtual host per
// request, so each virtual host lists its own routes followed by those of every less specific
// hostname covering it; inside one hostname, routes are ordered by match precedence (precedence.ts).

import type { HTTPRouteIR, VirtualHostIR } from '../../ir/types.ts';
import type { ListenerContext } from '../context.ts';
import { compareHostnameSpecificity, within } from '../hostname.ts';
import { compareRoutePrecedence, type PrecedenceEntry } from '../precedence.ts';

export interface VirtualHostEntry extends PrecedenceEntry {
  ir: HTTPRouteIR;
  hostnames: string[];
}

/** Collects entries per listener during the route passes; `build` writes ListenerIR.virtualHosts. */
export class VirtualHostCollector {
  readonly #byListener = new Map<ListenerContext, VirtualHostEntry[]>();

  add(listener: ListenerContext, entry: VirtualHostEntry): void {
    const list = this.#byListener.get(listener);
    if (list) list.push(entry);
    else this.#byListener.set(listener, [entry]);
  }

  build(): void {
    for (const [listener, entries] of this.#byListener) listener.ir.virtualHosts = buildVirtualHosts(entries);
  }
}

export function buildVirtualHosts(entries: readonly VirtualHostEntry[]): VirtualHostIR[] {
  const byHost = new Map<string, VirtualHostEntry[]>();
  for (const e of entries) {
    for (const h of e.hostnames) {
      const list = byHost.get(h);
      if (list) list.push(e);
      else byHost.set(h, [e]);
    }
  }
  const hosts = [...byHost.keys()].sort(compareHostnameSpecificity);
  return hosts.map((hostname) => {
    const routes: VirtualHostIR['routes'] = [];
    const seen = new Set<string>();
    // Covering hostnames, most specific first (the virtual host's own name is the first of them).
    for (const cover of hosts.filter((h) => within(hostname, h))) {
      for (const e of [...byHost.get(cover)!].sort(compareRoutePrecedence)) {
        // A route listing both "a.example.com" and "*.example.com" is served once, at the higher rank.
        if (seen.has(e.ir.name)) continue;
        seen.add(e.ir.name);
        // Shared, not copied: the IR is immutable once built (writers emit it without YAML aliases).
        routes.push(e.ir);
      }
    }
    return { hostname, routes };
  });
}
