// The intermediate representation: plain, JSON-safe data, one document per Gateway.
// A data plane needs nothing but this to serve (certificates are inlined as PEM).
// Durations are milliseconds. Lists are in a deterministic order chosen by the translator;
// route lists are already sorted by Gateway API precedence, so a data plane takes the first match.

export const IR_API_VERSION = 'portunus.dev/ir/v1';

export interface IR {
  apiVersion: typeof IR_API_VERSION;
  gateways: GatewayIR[];
}

export interface GatewayIR {
  /** "namespace/name" of the Gateway. */
  name: string;
  namespace: string;
  gatewayClassName: string;
  /** Addresses the Gateway binds/advertises (static spec.addresses of type IPAddress). Empty = all. */
  addresses: string[];
  /** spec.infrastructure labels/annotations, to be put on provisioned resources. */
  infrastructure?: { labels: Record<string, string>; annotations: Record<string, string> };
  /** Programmed listeners only. Several listeners may share a port (distinguished by hostname / SNI). */
  listeners: ListenerIR[];
  /** Upstream clusters referenced by name from routes. Sorted by name. */
  clusters: ClusterIR[];
}

export type ListenerProtocol = 'HTTP' | 'HTTPS' | 'TLS' | 'TCP' | 'UDP';

export interface ListenerIR {
  /** "namespace/gateway/sectionName" (or "namespace/listenerset/sectionName" for ListenerSet listeners). */
  name: string;
  /** The listener's sectionName. */
  sectionName: string;
  port: number;
  protocol: ListenerProtocol;
  /** Listener hostname (may be a wildcard "*.example.com"); null matches any host. */
  hostname: string | null;
  tls?: ListenerTLSIR;
  /** HTTP and HTTPS listeners: virtual hosts, most specific hostname first. */
  virtualHosts?: VirtualHostIR[];
  /** TLS listeners: routes chosen by SNI (Passthrough proxies raw bytes; Terminate decrypts then proxies TCP). */
  tlsRoutes?: L4RouteIR[];
  /** TCP listeners: at most one route is served (the oldest attached); others are reported in status. */
  tcpRoute?: L4RouteIR;
  /** UDP listeners: likewise. */
  udpRoute?: L4RouteIR;
}

export interface CertificateIR {
  /** Secret "namespace/name" this came from. */
  source: string;
  certPem: string;
  keyPem: string;
  /** DNS names (SAN, else CN) the certificate is valid for, used for SNI selection. */
  dnsNames: string[];
}

export interface ListenerTLSIR {
  mode: 'Terminate' | 'Passthrough';
  certificates: CertificateIR[];
  minVersion?: 'TLSv1.2' | 'TLSv1.3';
  maxVersion?: 'TLSv1.2' | 'TLSv1.3';
  ciphers?: string[];
  alpn?: string[];
  /** Frontend client-certificate validation (mTLS). */
  clientValidation?: { caPem: string[]; mode: 'AllowValidOnly' | 'AllowInsecureFallback' };
}

export interface VirtualHostIR {
  /** "example.com", "*.example.com" or "*" (any host). */
  hostname: string;
  routes: HTTPRouteIR[];
}

export interface StringMatchIR {
  type: 'Exact' | 'RegularExpression';
  name: string;
  value: string;
}

export interface PathMatchIR {
  type: 'Exact' | 'PathPrefix' | 'RegularExpression';
  value: string;
}

/** One HTTPRoute/GRPCRoute match (a rule with N matches becomes N entries). */
export interface HTTPMatchIR {
  path?: PathMatchIR;
  method?: string;
  /** Header names lower-cased. */
  headers: StringMatchIR[];
  queryParams: StringMatchIR[];
  /** GRPCRoute: compiled into path matching by the translator; kept for diagnostics. */
  grpc?: { type: 'Exact' | 'RegularExpression'; service?: string; method?: string };
}

export interface HeaderModifierIR {
  set: { name: string; value: string }[];
  add: { name: string; value: string }[];
  remove: string[];
}

export interface PathModifierIR {
  type: 'ReplaceFullPath' | 'ReplacePrefixMatch';
  value: string;
}

export type HTTPFilterIR =
  | { type: 'RequestHeaderModifier'; modifier: HeaderModifierIR }
  | { type: 'ResponseHeaderModifier'; modifier: HeaderModifierIR }
  | { type: 'URLRewrite'; hostname?: string; path?: PathModifierIR }
  | {
      type: 'RequestMirror';
      cluster: string;
      /** Fraction of requests mirrored: numerator/denominator. */
      numerator: number;
      denominator: number;
    }
  | {
      type: 'CORS';
      allowOrigins: string[];
      allowCredentials: boolean;
      allowMethods: string[];
      allowHeaders: string[];
      exposeHeaders: string[];
      maxAge: number;
    };

export interface RedirectIR {
  scheme?: 'http' | 'https';
  hostname?: string;
  port?: number;
  path?: PathModifierIR;
  statusCode: number;
}

export interface WeightedBackendIR {
  /** Cluster name; null when the backendRef is invalid (requests routed here get a 500). */
  cluster: string | null;
  weight: number;
  /** backendRef-level filters, applied after the rule's filters. */
  filters: HTTPFilterIR[];
}

export interface RetryIR {
  attempts: number;
  /** HTTP status codes that trigger a retry. */
  codes: number[];
  backoffMs: number;
  /** Also retry on connection failure / reset before response. */
  onConnectFailure: boolean;
}

export interface SessionPersistenceIR {
  type: 'Cookie' | 'Header';
  name: string;
  /** Cookie Max-Age, absent for session cookies. */
  absoluteTimeoutMs?: number;
  idleTimeoutMs?: number;
}

export type RouteActionIR =
  | { type: 'Forward'; backends: WeightedBackendIR[] }
  | { type: 'Redirect'; redirect: RedirectIR }
  | { type: 'DirectResponse'; status: number; body?: string };

export interface HTTPRouteIR {
  /** Stable id: "httproute/ns/name/rule/R/match/M". */
  name: string;
  /** Source route for metrics/logs: "HTTPRoute/ns/name" or "GRPCRoute/ns/name". */
  route: string;
  ruleIndex: number;
  ruleName?: string;
  match: HTTPMatchIR;
  /** Rule-level filters, in spec order (header modifiers, rewrites, mirrors, CORS). */
  filters: HTTPFilterIR[];
  action: RouteActionIR;
  timeouts?: { requestMs?: number; backendRequestMs?: number };
  retry?: RetryIR;
  sessionPersistence?: SessionPersistenceIR;
  /** True for GRPCRoute-derived routes: the data plane answers errors as gRPC statuses. */
  grpc?: boolean;
}

export interface L4BackendIR {
  cluster: string | null;
  weight: number;
}

export interface L4RouteIR {
  /** "TLSRoute/ns/name" etc. */
  route: string;
  /** TLS routes: SNI hostnames (exact or "*.wildcard"); empty = any. */
  hostnames: string[];
  backends: L4BackendIR[];
}

export interface EndpointIR {
  /** IP address or hostname (fqdn endpoints are resolved and refreshed by the data plane). */
  address: string;
  port: number;
  /** Unix domain socket path instead of address/port. */
  unixPath?: string;
  ready: boolean;
  zone?: string;
}

export interface UpstreamTLSIR {
  /** SNI and the name verified against the certificate. */
  serverName: string;
  caPem: string[];
  /** Use the system's well-known CAs. */
  useSystemCAs: boolean;
  subjectAltNames: { type: 'Hostname' | 'URI'; value: string }[];
  insecureSkipVerify?: boolean;
  /** Gateway client certificate presented to backends. */
  clientCertificate?: { certPem: string; keyPem: string };
}

export interface ClusterIR {
  /** Stable name, e.g. "service/ns/name/port" or "backend/ns/name". */
  name: string;
  /** Application protocol towards the endpoints. */
  protocol: 'http1' | 'h2c' | 'h2' | 'ws' | 'tcp' | 'udp';
  endpoints: EndpointIR[];
  /** Endpoint kind: static addresses, or DNS names resolved by the data plane. */
  discovery: 'static' | 'dns';
  loadBalancer: 'LeastRequest' | 'RoundRobin' | 'Random';
  tls?: UpstreamTLSIR;
}
