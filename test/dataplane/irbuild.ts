// Hand-built IR and a free port: what data plane tests need without node:http, which (imported
// as an ES module) loads node:http2 and node:tls with it. helpers.ts re-exports these.
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import type {
  ClusterIR,
  HTTPFilterIR,
  HTTPMatchIR,
  HTTPRouteIR,
  IR,
  ListenerIR,
  RouteActionIR,
  VirtualHostIR,
} from '../../src/ir/types.ts';

export function match(m: Partial<HTTPMatchIR> = {}): HTTPMatchIR {
  return { path: { type: 'PathPrefix', value: '/' }, headers: [], queryParams: [], ...m };
}

let routeSeq = 0;
export function route(r: Partial<HTTPRouteIR> & { action: RouteActionIR }): HTTPRouteIR {
  const n = routeSeq++;
  return {
    name: 'httproute/default/r' + n + '/rule/0/match/0',
    route: 'HTTPRoute/default/r' + n,
    ruleIndex: 0,
    match: match(),
    filters: [],
    ...r,
  };
}

export function forward(...clusters: (string | null | [string | null, number, HTTPFilterIR[]?])[]): RouteActionIR {
  return {
    type: 'Forward',
    backends: clusters.map((c) =>
      Array.isArray(c) ? { cluster: c[0], weight: c[1], filters: c[2] ?? [] } : { cluster: c, weight: 1, filters: [] },
    ),
  };
}

export function cluster(name: string, ports: number[], extra: Partial<ClusterIR> = {}): ClusterIR {
  return {
    name,
    protocol: 'http1',
    endpoints: ports.map((port) => ({ address: '127.0.0.1', port, ready: true })),
    discovery: 'static',
    loadBalancer: 'LeastRequest',
    ...extra,
  };
}

export function listener(port: number, vhosts: VirtualHostIR[], extra: Partial<ListenerIR> = {}): ListenerIR {
  return {
    name: 'default/gw/http-' + port + (extra.hostname ? '-' + extra.hostname : ''),
    sectionName: 'http',
    port,
    protocol: 'HTTP',
    hostname: null,
    virtualHosts: vhosts,
    ...extra,
  };
}

export function ir(listeners: ListenerIR[], clusters: ClusterIR[]): IR {
  return {
    apiVersion: 'portunus.dev/ir/v1',
    gateways: [
      { name: 'default/gw', namespace: 'default', gatewayClassName: 'portunus', addresses: [], listeners, clusters },
    ],
  };
}

/** Simple IR: one listener on `port`, any host, given routes. */
export function simpleIR(port: number, routes: HTTPRouteIR[], clusters: ClusterIR[]): IR {
  return ir([listener(port, [{ hostname: '*', routes }])], clusters);
}

export async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}
