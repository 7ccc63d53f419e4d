// Resource types for the Gateway API (v1.6, standard + experimental channels) and the
// Envoy Gateway extension kinds Portunus reads. Field names follow the CRDs exactly so a
// manifest read from YAML is already one of these objects (after defaults are applied).

export interface ObjectMeta {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  generation?: number;
  creationTimestamp?: string;
  uid?: string;
  resourceVersion?: string;
}

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  observedGeneration?: number;
  lastTransitionTime: string;
}

/** Any Kubernetes object as read from a manifest. */
export interface Resource<Spec = unknown, Status = unknown> {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec?: Spec;
  status?: Status;
  // Secrets/ConfigMaps carry data at top level.
  data?: Record<string, string>;
  stringData?: Record<string, string>;
  type?: string;
  // EndpointSlice carries these at top level.
  addressType?: string;
  endpoints?: EndpointSliceEndpoint[];
  ports?: EndpointSlicePort[];
}

// ---------- shared references ----------

export interface ParentReference {
  group?: string;
  kind?: string;
  namespace?: string;
  name: string;
  sectionName?: string;
  port?: number;
}

export interface BackendObjectReference {
  group?: string;
  kind?: string;
  name: string;
  namespace?: string;
  port?: number;
}

export interface SecretObjectReference {
  group?: string;
  kind?: string;
  name: string;
  namespace?: string;
}

export interface LocalObjectReference {
  group: string;
  kind: string;
  name: string;
}

export interface LocalPolicyTargetReference {
  group: string;
  kind: string;
  name: string;
}

export interface LocalPolicyTargetReferenceWithSectionName extends LocalPolicyTargetReference {
  sectionName?: string;
}

export interface RouteGroupKind {
  group?: string;
  kind: string;
}

export interface LabelSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values?: string[];
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

// ---------- GatewayClass ----------

export interface GatewayClassSpec {
  controllerName: string;
  parametersRef?: { group: string; kind: string; name: string; namespace?: string };
  description?: string;
}

export interface GatewayClassStatus {
  conditions?: Condition[];
  supportedFeatures?: { name: string }[];
}

// ---------- Gateway ----------

export type ProtocolType = 'HTTP' | 'HTTPS' | 'TLS' | 'TCP' | 'UDP' | string;
export type TLSModeType = 'Terminate' | 'Passthrough';

export interface GatewayTLSConfig {
  mode?: TLSModeType;
  certificateRefs?: SecretObjectReference[];
  options?: Record<string, string>;
  /** v1alpha/experimental per-listener frontend validation (pre-v1.4 shape). */
  frontendValidation?: FrontendTLSValidation;
}

export interface FrontendTLSValidation {
  caCertificateRefs?: ObjectReference[];
  mode?: 'AllowValidOnly' | 'AllowInsecureFallback';
}

export interface ObjectReference {
  group: string;
  kind: string;
  name: string;
  namespace?: string;
}

export interface AllowedRoutes {
  namespaces?: { from?: 'All' | 'Same' | 'Selector' | 'None'; selector?: LabelSelector };
  kinds?: RouteGroupKind[];
}

export interface Listener {
  name: string;
  hostname?: string;
  port: number;
  protocol: ProtocolType;
  tls?: GatewayTLSConfig;
  allowedRoutes?: AllowedRoutes;
}

export interface GatewayAddress {
  type?: 'IPAddress' | 'Hostname' | 'NamedAddress' | string;
  value?: string;
}

export interface GatewayInfrastructure {
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  parametersRef?: LocalObjectReference;
}

export interface GatewayTLSSettings {
  backend?: { clientCertificateRef?: SecretObjectReference };
  frontend?: {
    default?: { validation?: FrontendTLSValidation };
    perPort?: { port: number; tls: { validation?: FrontendTLSValidation } }[];
  };
}

export interface GatewaySpec {
  gatewayClassName: string;
  listeners: Listener[];
  addresses?: GatewayAddress[];
  infrastructure?: GatewayInfrastructure;
  allowedListeners?: { namespaces?: { from?: 'All' | 'Same' | 'Selector' | 'None'; selector?: LabelSelector } };
  tls?: GatewayTLSSettings;
  backendTLS?: { clientCertificateRef?: SecretObjectReference };
  defaultScope?: string;
}

export interface ListenerStatus {
  name: string;
  supportedKinds: RouteGroupKind[];
  attachedRoutes: number;
  conditions: Condition[];
}

export interface GatewayStatus {
  addresses?: { type?: string; value: string }[];
  conditions?: Condition[];
  listeners?: ListenerStatus[];
  attachedListenerSets?: number;
}

// ---------- ListenerSet (experimental: gateway.networking.x-k8s.io XListenerSet; v1 ListenerSet) ----------

export interface ListenerSetSpec {
  parentRef: { group?: string; kind?: string; namespace?: string; name: string };
  listeners: Listener[];
}

export interface ListenerSetStatus {
  conditions?: Condition[];
  listeners?: ListenerStatus[];
}

// ---------- Routes ----------

export interface HTTPHeaderMatch {
  type?: 'Exact' | 'RegularExpression';
  name: string;
  value: string;
}

export interface HTTPQueryParamMatch {
  type?: 'Exact' | 'RegularExpression';
  name: string;
  value: string;
}

export interface HTTPPathMatch {
  type?: 'Exact' | 'PathPrefix' | 'RegularExpression';
  value?: string;
}

export interface HTTPRouteMatch {
  path?: HTTPPathMatch;
  headers?: HTTPHeaderMatch[];
  queryParams?: HTTPQueryParamMatch[];
  method?: string;
}

export interface HTTPHeader {
  name: string;
  value: string;
}

export interface HTTPHeaderFilter {
  set?: HTTPHeader[];
  add?: HTTPHeader[];
  remove?: string[];
}

export interface HTTPPathModifier {
  type: 'ReplaceFullPath' | 'ReplacePrefixMatch';
  replaceFullPath?: string;
  replacePrefixMatch?: string;
}

export interface HTTPRequestRedirectFilter {
  scheme?: 'http' | 'https';
  hostname?: string;
  path?: HTTPPathModifier;
  port?: number;
  statusCode?: number;
}

export interface HTTPURLRewriteFilter {
  hostname?: string;
  path?: HTTPPathModifier;
}

export interface HTTPRequestMirrorFilter {
  backendRef: BackendObjectReference;
  percent?: number;
  fraction?: { numerator: number; denominator?: number };
}

export interface HTTPCORSFilter {
  allowOrigins?: string[];
  allowCredentials?: boolean;
  allowMethods?: string[];
  allowHeaders?: string[];
  exposeHeaders?: string[];
  maxAge?: number;
}

export interface HTTPExternalAuthFilter {
  protocol: 'HTTP' | 'GRPC';
  backendRef: BackendObjectReference;
  grpc?: { allowedHeaders?: string[] };
  http?: { path?: string; allowedHeaders?: string[]; allowedResponseHeaders?: string[] };
  forwardBody?: { maxSize?: number };
}

export interface HTTPRouteFilter {
  type:
    | 'RequestHeaderModifier'
    | 'ResponseHeaderModifier'
    | 'RequestRedirect'
    | 'URLRewrite'
    | 'RequestMirror'
    | 'CORS'
    | 'ExternalAuth'
    | 'ExtensionRef'
    | string;
  requestHeaderModifier?: HTTPHeaderFilter;
  responseHeaderModifier?: HTTPHeaderFilter;
  requestRedirect?: HTTPRequestRedirectFilter;
  urlRewrite?: HTTPURLRewriteFilter;
  requestMirror?: HTTPRequestMirrorFilter;
  cors?: HTTPCORSFilter;
  externalAuth?: HTTPExternalAuthFilter;
  extensionRef?: LocalObjectReference;
}

export interface HTTPBackendRef extends BackendObjectReference {
  weight?: number;
  filters?: HTTPRouteFilter[];
}

export interface HTTPRouteTimeouts {
  request?: string;
  backendRequest?: string;
}

export interface HTTPRouteRetry {
  codes?: number[];
  attempts?: number;
  backoff?: string;
}

export interface SessionPersistence {
  sessionName?: string;
  absoluteTimeout?: string;
  idleTimeout?: string;
  type?: 'Cookie' | 'Header';
  cookieConfig?: { lifetimeType?: 'Permanent' | 'Session' };
}

export interface HTTPRouteRule {
  name?: string;
  matches?: HTTPRouteMatch[];
  filters?: HTTPRouteFilter[];
  backendRefs?: HTTPBackendRef[];
  timeouts?: HTTPRouteTimeouts;
  retry?: HTTPRouteRetry;
  sessionPersistence?: SessionPersistence;
}

export interface HTTPRouteSpec {
  parentRefs?: ParentReference[];
  hostnames?: string[];
  rules?: HTTPRouteRule[];
}

export interface GRPCMethodMatch {
  type?: 'Exact' | 'RegularExpression';
  service?: string;
  method?: string;
}

export interface GRPCRouteMatch {
  method?: GRPCMethodMatch;
  headers?: HTTPHeaderMatch[];
}

export interface GRPCRouteFilter {
  type: 'RequestHeaderModifier' | 'ResponseHeaderModifier' | 'RequestMirror' | 'ExtensionRef' | string;
  requestHeaderModifier?: HTTPHeaderFilter;
  responseHeaderModifier?: HTTPHeaderFilter;
  requestMirror?: HTTPRequestMirrorFilter;
  extensionRef?: LocalObjectReference;
}

export interface GRPCBackendRef extends BackendObjectReference {
  weight?: number;
  filters?: GRPCRouteFilter[];
}

export interface GRPCRouteRule {
  name?: string;
  matches?: GRPCRouteMatch[];
  filters?: GRPCRouteFilter[];
  backendRefs?: GRPCBackendRef[];
  sessionPersistence?: SessionPersistence;
}

export interface GRPCRouteSpec {
  parentRefs?: ParentReference[];
  hostnames?: string[];
  rules?: GRPCRouteRule[];
}

export interface L4BackendRef extends BackendObjectReference {
  weight?: number;
}

export interface L4RouteRule {
  name?: string;
  backendRefs?: L4BackendRef[];
}

export interface TLSRouteSpec {
  parentRefs?: ParentReference[];
  hostnames?: string[];
  rules?: L4RouteRule[];
}

export interface TCPRouteSpec {
  parentRefs?: ParentReference[];
  rules?: L4RouteRule[];
}

export type UDPRouteSpec = TCPRouteSpec;

export interface RouteParentStatus {
  parentRef: ParentReference;
  controllerName: string;
  conditions: Condition[];
}

export interface RouteStatus {
  parents: RouteParentStatus[];
}

// ---------- ReferenceGrant ----------

export interface ReferenceGrantSpec {
  from: { group: string; kind: string; namespace: string }[];
  to: { group: string; kind: string; name?: string }[];
}

// ---------- BackendTLSPolicy ----------

export interface BackendTLSPolicySpec {
  targetRefs: LocalPolicyTargetReferenceWithSectionName[];
  validation: {
    caCertificateRefs?: LocalObjectReference[];
    wellKnownCACertificates?: 'System' | string;
    hostname: string;
    subjectAltNames?: { type: 'Hostname' | 'URI'; hostname?: string; uri?: string }[];
  };
  options?: Record<string, string>;
}

export interface PolicyAncestorStatus {
  ancestorRef: ParentReference;
  controllerName: string;
  conditions: Condition[];
}

export interface PolicyStatus {
  ancestors: PolicyAncestorStatus[];
}

// ---------- core kinds ----------

export interface ServicePort {
  name?: string;
  port: number;
  targetPort?: number | string;
  protocol?: string;
  appProtocol?: string;
}

export interface ServiceSpec {
  type?: string;
  clusterIP?: string;
  clusterIPs?: string[];
  ports?: ServicePort[];
  selector?: Record<string, string>;
  externalName?: string;
}

export interface EndpointSliceEndpoint {
  addresses: string[];
  conditions?: { ready?: boolean; serving?: boolean; terminating?: boolean };
  hostname?: string;
  nodeName?: string;
  zone?: string;
  targetRef?: { kind?: string; name?: string; namespace?: string };
}

export interface EndpointSlicePort {
  name?: string;
  port?: number;
  protocol?: string;
  appProtocol?: string;
}

// ---------- Envoy Gateway: Backend ----------

export interface BackendEndpoint {
  fqdn?: { hostname: string; port: number };
  ip?: { address: string; port: number };
  unix?: { path: string };
  zone?: string;
}

export interface BackendSpec {
  type?: 'Endpoints' | 'DynamicResolver' | string;
  endpoints?: BackendEndpoint[];
  appProtocols?: ('gateway.envoyproxy.io/h2c' | 'gateway.envoyproxy.io/ws' | 'gateway.envoyproxy.io/wss' | string)[];
  fallback?: boolean;
  tls?: {
    caCertificateRefs?: LocalObjectReference[];
    wellKnownCACertificates?: string;
    insecureSkipVerify?: boolean;
    sni?: string;
  };
}

// ---------- typed aliases ----------

export type GatewayClass = Resource<GatewayClassSpec, GatewayClassStatus>;
export type Gateway = Resource<GatewaySpec, GatewayStatus>;
export type ListenerSet = Resource<ListenerSetSpec, ListenerSetStatus>;
export type HTTPRoute = Resource<HTTPRouteSpec, RouteStatus>;
export type GRPCRoute = Resource<GRPCRouteSpec, RouteStatus>;
export type TLSRoute = Resource<TLSRouteSpec, RouteStatus>;
export type TCPRoute = Resource<TCPRouteSpec, RouteStatus>;
export type UDPRoute = Resource<UDPRouteSpec, RouteStatus>;
export type ReferenceGrant = Resource<ReferenceGrantSpec>;
export type BackendTLSPolicy = Resource<BackendTLSPolicySpec, PolicyStatus>;
export type Service = Resource<ServiceSpec>;
export type EndpointSlice = Resource;
export type Secret = Resource;
export type ConfigMap = Resource;
export type Namespace = Resource;
export type Backend = Resource<BackendSpec>;

export type AnyRoute = HTTPRoute | GRPCRoute | TLSRoute | TCPRoute | UDPRoute;
