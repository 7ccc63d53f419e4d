// Shared translation state and the contexts that let parentRef/attachment logic be written once.
// Contract between the passes (see translate/index.ts for their order):
//   gateway pass  -> GatewayContext[] with ListenerContext[] (validated listeners, incl. ListenerSet ones)
//   route passes  -> attach routes to ListenerContexts, bump attachedRoutes, fill ListenerIR + clusters
//   finalize pass -> listener/gateway status (attachedRoutes known by then) and GatewayIR

import type {
  Condition,
  Gateway,
  GatewayClass,
  Listener,
  ListenerSet,
  Resource,
  RouteGroupKind,
} from '../api/types.ts';
import type { ClusterIR, GatewayIR, ListenerIR } from '../ir/types.ts';
import type { Diagnostic, Snapshot } from '../provider/snapshot.ts';

export const DEFAULT_CONTROLLER_NAME = 'portunus.dev/gateway-controller';
export const GATEWAY_GROUP = 'gateway.networking.k8s.io';
export const GATEWAY_X_GROUP = 'gateway.networking.x-k8s.io';
export const ENVOY_GATEWAY_GROUP = 'gateway.envoyproxy.io';

export interface TranslateOptions {
  /** spec.controllerName of the GatewayClasses this translator manages. */
  controllerName: string;
  /**
   * Timestamp used as lastTransitionTime for conditions that changed. The translator never reads
   * the clock; callers pass the time (tests pass a fixed one).
   */
  now: string;
  /**
   * Whether the Gateways are served from one address space (one process binds every Gateway's
   * listeners, merged by port, as `portunus serve` does). Then listeners of different Gateways
   * whose addresses overlap must be distinct too; the older Gateway (creationTimestamp, then
   * namespace/name) wins. Default false: each Gateway is independent, as the spec describes it
   * (one data plane and address per Gateway, as in Kubernetes).
   */
  sharedAddressSpace?: boolean;
  /**
   * Address Gateways listen on when spec.addresses does not name one (and the one assigned to an
   * IPAddress request without value); reported in status.addresses. Default "0.0.0.0" (every
   * IPv4 address), what `portunus serve` binds unless told otherwise.
   */
  defaultAddress?: string;
  /**
   * Addresses handed out, one per Gateway, to Gateways whose spec.addresses does not name one
   * (oldest Gateway first, skipping addresses other Gateways request explicitly), so that several
   * Gateways served by one process each get an address of their own, as a LoadBalancer Service
   * gives each Gateway in a cluster. When the pool runs out: Programmed=False AddressNotAssigned.
   * Unset: every such Gateway gets defaultAddress.
   */
  addressPool?: readonly string[];
  /**
   * The host's own IP addresses, when the caller knows them: static IPAddress values outside this
   * list are AddressNotUsable. Unset: any well-formed unicast address is accepted.
   */
  hostAddresses?: readonly string[];
}

/** Computed status for one resource. `status` replaces the resource's status wholesale. */
export interface StatusUpdate {
  resource: Resource;
  status: unknown;
}

export interface TranslateResult {
  ir: import('../ir/types.ts').IR;
  /** One entry per input resource whose status we computed, in stable order (kind, namespace, name). */
  statuses: StatusUpdate[];
  /** Translation-time problems worth logging (status carries the user-facing detail). */
  diagnostics: Diagnostic[];
}

export interface TranslateContext {
  readonly snapshot: Snapshot;
  readonly options: TranslateOptions;
  readonly diagnostics: Diagnostic[];
  /** Computed statuses keyed by "Kind/namespace/name". */
  readonly statuses: Map<string, StatusUpdate>;
}

export function statusKey(r: Resource): string {
  return `${r.kind}/${r.metadata.namespace ?? ''}/${r.metadata.name}`;
}

export function setStatus(ctx: TranslateContext, resource: Resource, status: unknown): void {
  ctx.statuses.set(statusKey(resource), { resource, status });
}

export interface GatewayContext {
  readonly gateway: Gateway;
  readonly gatewayClass: GatewayClass;
  readonly namespace: string;
  readonly name: string;
  /** Listeners of the Gateway itself, then those of accepted ListenerSets (in spec precedence order). */
  readonly listeners: ListenerContext[];
  /** Gateway-level conditions computed so far (Accepted etc.); finalize adds Programmed. */
  readonly conditions: Condition[];
  /** Output IR for this gateway; route passes push clusters via addCluster. */
  readonly ir: GatewayIR;
  /** Adds (or reuses, by name) a cluster to this gateway's IR. */
  addCluster(cluster: ClusterIR): void;
  /**
   * Client certificate the Gateway presents to backends that ask for one (spec.tls.backend
   * clientCertificateRef), when it resolved; BackendTLSPolicy translation puts it on clusters.
   */
  readonly backendClientCertificate?: { certPem: string; keyPem: string };
}

export interface ListenerContext {
  readonly gateway: GatewayContext;
  /** Set when the listener comes from a ListenerSet; routes attach to it with a ListenerSet parentRef. */
  readonly listenerSet?: ListenerSet;
  readonly listener: Listener;
  /** Route kinds the listener accepts (allowedRoutes.kinds ∩ kinds valid for its protocol, or the protocol defaults). */
  readonly supportedKinds: RouteGroupKind[];
  /**
   * Whether routes may attach: the listener is Accepted and not Conflicted. Routes to a listener that
   * is not ready get Accepted=False (NoMatchingParent / NotAllowedByListeners as the spec says).
   */
  readonly ready: boolean;
  /** allowedRoutes.namespaces check for a route in `namespace`. */
  allowsNamespace(namespace: string): boolean;
  /** Count of routes attached (Accepted for this listener); route passes increment it. */
  attachedRoutes: number;
  /** Output IR for the listener; route passes fill virtualHosts / tlsRoutes / tcpRoute / udpRoute. */
  readonly ir: ListenerIR;
}
