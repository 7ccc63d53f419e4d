// HTTP listeners: routes attached to a listener are grouped into virtual hosts by hostname
// (the intersection of listener and route hostnames), virtual hosts ordered most specific first,
// routes inside each ordered by precedence (see precedence.ts).

import type { HTTPRouteIR, VirtualHostIR } from '../../ir/types.ts';
import type { ListenerContext } from '../context.ts';
import { compareHostnameSpecificity } from '../hostname.ts';
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
  return [...byHost.keys()].sort(compareHostnameSpecificity).map((hostname) => ({
    hostname,
    // Each virtual host gets its own copies: the IR is plain data and must not share objects.
    routes: byHost
      .get(hostname)!
      .sort(compareRoutePrecedence)
      .map((e) => structuredClone(e.ir)),
  }));
}
