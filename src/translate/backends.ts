// backendRef resolution: a route's reference to a Service (core group) or an Envoy Gateway
// Backend becomes a ClusterIR with its endpoints, or a ResolvedRefs failure reason.
//
// Order of checks, so a message never reveals more than the referrer may know:
// kind (InvalidKind) → ReferenceGrant (RefNotPermitted) → existence/port (BackendNotFound) →
// protocol (UnsupportedProtocol).

import type { Backend, BackendObjectReference, EndpointSlice, Service, ServicePort } from '../api/types.ts';
import type { ClusterIR, EndpointIR } from '../ir/types.ts';
import type { Snapshot } from '../provider/snapshot.ts';
import { ENVOY_GATEWAY_GROUP, type GatewayContext } from './context.ts';
import type { CrossNamespaceFrom, ReferenceGrantIndex } from './referencegrant.ts';

/** How the route uses the backend; decides the cluster protocol. */
export type BackendUse = 'http' | 'grpc' | 'tcp' | 'udp';

export type ResolvedRefsReason =
  | 'InvalidKind'
  | 'RefNotPermitted'
  | 'BackendNotFound'
  | 'UnsupportedProtocol'
  | 'UnsupportedValue';

/** Where a cluster came from; BackendTLSPolicy uses it to find the clusters of a Service port. */
export interface ClusterOrigin {
  kind: 'Service' | 'Backend';
  namespace: string;
  name: string;
  /** Service port number and name (targetRef sectionName is the port name). */
  port?: number;
  portName?: string;
}

export type BackendRefResult =
  | { ok: true; cluster: ClusterIR; origin: ClusterOrigin }
  | { ok: false; reason: ResolvedRefsReason; message: string };

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

const APP_PROTOCOL_H2C = 'kubernetes.io/h2c';
const APP_PROTOCOL_WS = 'kubernetes.io/ws';
const APP_PROTOCOL_WSS = 'kubernetes.io/wss';
const BACKEND_H2C = 'gateway.envoyproxy.io/h2c';
const BACKEND_WS = 'gateway.envoyproxy.io/ws';
const BACKEND_WSS = 'gateway.envoyproxy.io/wss';

/** Display form of a group/kind: "Service", "Backend.gateway.envoyproxy.io". */
export function groupKind(group: string, kind: string): string {
  return group === '' ? kind : `${kind}.${group}`;
}

/**
 * Resolves backendRefs of one translation. The EndpointSlice index is built once; results are not
 * cached per ref because the referrer (ReferenceGrant) and the use (protocol) vary.
 */
export class BackendResolver {
  readonly #snapshot: Snapshot;
  readonly #grants: ReferenceGrantIndex;
  #slices: Map<string, EndpointSlice[]> | null = null;
  readonly #memo = new Map<string, BackendRefResult>();

  constructor(snapshot: Snapshot, grants: ReferenceGrantIndex) {
    this.#snapshot = snapshot;
    this.#grants = grants;
  }

  /**
   * `from` is the route (group/kind/namespace) holding the reference. Results are memoised for the
   * life of the resolver (one translation): many routes name the same few backends. Callers treat
   * results as read-only (useCluster copies a cluster before a gateway owns it).
   */
  resolve(ref: BackendObjectReference, from: CrossNamespaceFrom, use: BackendUse): BackendRefResult {
    const key = `${from.group}\0${from.kind}\0${from.namespace}\0${ref.group ?? ''}\0${ref.kind ?? ''}\0${ref.namespace ?? ''}\0${ref.name}\0${ref.port ?? ''}\0${use}`;
    let result = this.#memo.get(key);
    if (!result) {
      result = this.#resolve(ref, from, use);
      this.#memo.set(key, result);
    }
    return result;
  }

  #resolve(ref: BackendObjectReference, from: CrossNamespaceFrom, use: BackendUse): BackendRefResult {
    const group = ref.group ?? '';
    const kind = ref.kind ?? 'Service';
    const namespace = ref.namespace || from.namespace;
    const id = `${namespace}/${ref.name}`;
    const isService = group === '' && kind === 'Service';
    const isBackend = group === ENVOY_GATEWAY_GROUP && kind === 'Backend';
    if (!isService && !isBackend) {
      return {
        ok: false,
        reason: 'InvalidKind',
        message: `backendRef ${groupKind(group, kind)} ${id}: kind is not supported (use a core Service or a ${ENVOY_GATEWAY_GROUP} Backend)`,
      };
    }
    if (!this.#grants.allows(from, { group, kind, namespace, name: ref.name })) {
      return {
        ok: false,
        reason: 'RefNotPermitted',
        message: `backendRef ${groupKind(group, kind)} ${id} is in another namespace and no ReferenceGrant in ${namespace} allows references from ${from.kind} in ${from.namespace}`,
      };
    }
    return isService ? this.#service(ref, namespace, use) : this.#backend(ref, namespace, use);
  }

  #service(ref: BackendObjectReference, namespace: string, use: BackendUse): BackendRefResult {
    const id = `${namespace}/${ref.name}`;
    if (ref.port === undefined) {
      return {
        ok: false,
        reason: 'UnsupportedValue',
        message: `backendRef Service ${id}: port is required for a Service`,
      };
    }
    const svc = this.#snapshot.get('Service', namespace, ref.name) as Service | undefined;
    if (!svc) return { ok: false, reason: 'BackendNotFound', message: `backendRef Service ${id} does not exist` };
    const spec = svc.spec ?? {};
    const port = (spec.ports ?? []).find((p) => p.port === ref.port);
    if (!port && spec.type !== 'ExternalName') {
      return { ok: false, reason: 'BackendNotFound', message: `backendRef Service ${id} has no port ${ref.port}` };
    }
    const protocol = clusterProtocol(
      use,
      port?.appProtocol,
      port?.protocol,
      [APP_PROTOCOL_H2C],
      [APP_PROTOCOL_WS, APP_PROTOCOL_WSS],
    );
    if ('error' in protocol)
      return {
        ok: false,
        reason: 'UnsupportedProtocol',
        message: `backendRef Service ${id} port ${ref.port}: ${protocol.error}`,
      };
    const origin: ClusterOrigin = { kind: 'Service', namespace, name: ref.name, port: ref.port };
    if (port?.name) origin.portName = port.name;
    const cluster: ClusterIR = {
      name: clusterName(`service/${namespace}/${ref.name}/${ref.port}`, protocol.value),
      protocol: protocol.value,
      endpoints: [],
      discovery: 'static',
      loadBalancer: 'LeastRequest',
    };
    if (spec.type === 'ExternalName') {
      // The data plane resolves the external name like any DNS endpoint.
      if (spec.externalName) cluster.endpoints.push({ address: spec.externalName, port: ref.port, ready: true });
      cluster.discovery = 'dns';
      return { ok: true, cluster, origin };
    }
    const fromSlices = this.#sliceEndpoints(namespace, ref.name, port!);
    if (fromSlices) {
      cluster.endpoints = fromSlices.endpoints;
      if (fromSlices.fqdn) cluster.discovery = 'dns';
    } else if (spec.clusterIP && spec.clusterIP !== 'None') {
      // No EndpointSlices (e.g. file mode): send to the virtual IP and let kube-proxy balance.
      cluster.endpoints.push({ address: spec.clusterIP, port: ref.port, ready: true });
    }
    return { ok: true, cluster, origin };
  }

  #backend(ref: BackendObjectReference, namespace: string, use: BackendUse): BackendRefResult {
    const id = `${namespace}/${ref.name}`;
    const be = this.#snapshot.get('Backend', namespace, ref.name) as Backend | undefined;
    if (!be) return { ok: false, reason: 'BackendNotFound', message: `backendRef Backend ${id} does not exist` };
    const spec = be.spec ?? {};
    if (spec.type !== undefined && spec.type !== 'Endpoints') {
      return {
        ok: false,
        reason: 'UnsupportedValue',
        message: `backendRef Backend ${id}: type ${spec.type} is not supported`,
      };
    }
    const protocol = clusterProtocol(
      use,
      pickAppProtocol(spec.appProtocols),
      undefined,
      [BACKEND_H2C],
      [BACKEND_WS, BACKEND_WSS],
    );
    if ('error' in protocol)
      return { ok: false, reason: 'UnsupportedProtocol', message: `backendRef Backend ${id}: ${protocol.error}` };
    const endpoints: EndpointIR[] = [];
    let dns = false;
    for (const ep of spec.endpoints ?? []) {
      const zone = ep.zone ? { zone: ep.zone } : {};
      if (ep.ip) endpoints.push({ address: ep.ip.address, port: ep.ip.port, ready: true, ...zone });
      else if (ep.fqdn) {
        endpoints.push({ address: ep.fqdn.hostname, port: ep.fqdn.port, ready: true, ...zone });
        dns = true;
      } else if (ep.unix) endpoints.push({ address: '', port: 0, unixPath: ep.unix.path, ready: true, ...zone });
    }
    if (endpoints.length === 0) {
      return { ok: false, reason: 'BackendNotFound', message: `backendRef Backend ${id} has no endpoints` };
    }
    return {
      ok: true,
      cluster: {
        name: clusterName(`backend/${namespace}/${ref.name}`, protocol.value),
        protocol: protocol.value,
        endpoints: sortEndpoints(endpoints),
        discovery: dns ? 'dns' : 'static',
        loadBalancer: 'LeastRequest',
      },
      origin: { kind: 'Backend', namespace, name: ref.name },
    };
  }

  /** Endpoints of a Service port from its EndpointSlices; null when the Service has none. */
  #sliceEndpoints(
    namespace: string,
    service: string,
    port: ServicePort,
  ): { endpoints: EndpointIR[]; fqdn: boolean } | null {
    const slices = this.#sliceIndex().get(`${namespace}/${service}`);
    if (!slices || slices.length === 0) return null;
    const wanted = port.name ?? '';
    const byKey = new Map<string, EndpointIR>();
    let fqdn = false;
    for (const slice of slices) {
      // A slice's port is matched to the Service port by name; its number is the resolved targetPort.
      let target: number | undefined;
      if (slice.ports && slice.ports.length > 0) {
        target = slice.ports.find((p) => (p.name ?? '') === wanted)?.port;
        if (target === undefined) continue;
      } else {
        target = typeof port.targetPort === 'number' ? port.targetPort : port.port;
      }
      const isFqdn = slice.addressType === 'FQDN';
      for (const ep of slice.endpoints ?? []) {
        // Addresses of one endpoint are fungible; consumers may use the first only.
        const address = ep.addresses?.[0];
        if (!address) continue;
        const key = `${address}|${target}`;
        const ready = ep.conditions?.ready ?? true;
        const prev = byKey.get(key);
        if (prev) {
          prev.ready ||= ready;
          continue;
        }
        const e: EndpointIR = { address, port: target, ready };
        if (ep.zone) e.zone = ep.zone;
        byKey.set(key, e);
        if (isFqdn) fqdn = true;
      }
    }
    return { endpoints: sortEndpoints([...byKey.values()]), fqdn };
  }

  #sliceIndex(): Map<string, EndpointSlice[]> {
    if (this.#slices) return this.#slices;
    const index = new Map<string, EndpointSlice[]>();
    for (const slice of this.#snapshot.list<EndpointSlice>('EndpointSlice')) {
      const svc = slice.metadata.labels?.[SERVICE_NAME_LABEL];
      if (!svc) continue;
      const key = `${slice.metadata.namespace ?? 'default'}/${svc}`;
      const list = index.get(key);
      if (list) list.push(slice);
      else index.set(key, [slice]);
    }
    this.#slices = index;
    return index;
  }
}

function pickAppProtocol(list: readonly string[] | undefined): string | undefined {
  if (!list) return undefined;
  return list.find((p) => p === BACKEND_H2C || p === BACKEND_WS || p === BACKEND_WSS) ?? list[0];
}

/**
 * Cluster protocol from the use and the port's appProtocol. HTTP routes honour h2c and WebSocket
 * app protocols; gRPC needs HTTP/2 (h2c unless BackendTLSPolicy upgrades it to h2); L4 routes
 * proxy bytes. A UDP route needs a UDP port and the others a TCP one.
 */
function clusterProtocol(
  use: BackendUse,
  appProtocol: string | undefined,
  portProtocol: string | undefined,
  h2c: string[],
  ws: string[],
): { value: ClusterIR['protocol'] } | { error: string } {
  const l4 = (portProtocol ?? 'TCP').toUpperCase();
  if (use === 'udp') return l4 === 'UDP' ? { value: 'udp' } : { error: `protocol ${l4} cannot serve a UDPRoute` };
  if (l4 !== 'TCP' && l4 !== 'SCTP')
    return { error: `protocol ${l4} cannot serve a ${use === 'tcp' ? 'TCP/TLS' : 'HTTP'} route` };
  if (use === 'tcp') return { value: 'tcp' };
  const isH2c = appProtocol !== undefined && h2c.includes(appProtocol);
  const isWs = appProtocol !== undefined && ws.includes(appProtocol);
  if (use === 'grpc') {
    if (isWs) return { error: `appProtocol ${appProtocol} cannot carry gRPC` };
    return { value: 'h2c' };
  }
  if (isH2c) return { value: 'h2c' };
  if (isWs) return { value: 'ws' };
  return { value: 'http1' };
}

/** Same target, different protocol → different cluster; HTTP/1.1 keeps the bare name. */
function clusterName(base: string, protocol: ClusterIR['protocol']): string {
  return protocol === 'http1' ? base : `${base}/${protocol}`;
}

function sortEndpoints(list: EndpointIR[]): EndpointIR[] {
  return list.sort((a, b) => {
    const ka = a.unixPath ?? a.address;
    const kb = b.unixPath ?? b.address;
    if (ka !== kb) return ka < kb ? -1 : 1;
    return a.port - b.port;
  });
}

// Clusters added by route passes, with their origin, per gateway. BackendTLSPolicy (a later pass)
// reads this to find the clusters of a Service and the Gateways that use it. Keyed by the
// GatewayContext object, so it lives exactly as long as one translation.
const origins = new WeakMap<GatewayContext, Map<string, ClusterOrigin>>();

/** Adds a resolved cluster to a gateway's IR and remembers where it came from. */
export function useCluster(gateway: GatewayContext, cluster: ClusterIR, origin: ClusterOrigin): void {
  let m = origins.get(gateway);
  if (!m) {
    m = new Map();
    origins.set(gateway, m);
  }
  // Routes share clusters: only the first use on a gateway adds one. Each gateway gets its own
  // copy because later passes (BackendTLSPolicy) edit clusters per gateway.
  if (m.has(cluster.name)) return;
  gateway.addCluster(structuredClone(cluster));
  m.set(cluster.name, origin);
}

/** Origins of the clusters route passes added to this gateway (cluster name → origin). */
export function clusterOrigins(gateway: GatewayContext): ReadonlyMap<string, ClusterOrigin> {
  return origins.get(gateway) ?? new Map();
}
