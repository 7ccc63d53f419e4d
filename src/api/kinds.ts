// The kinds Portunus reads and the apiVersions served for them. Gateway API versions are those
// of the v1.6.1 CRDs (config/crd/standard and config/crd/experimental): a version served only in
// the experimental channel is marked so, and versions the CRDs mark deprecated carry the
// CRD's deprecation warning. Every version of a kind is read into the same shape (in v1.6 the
// schemas of a kind's versions are identical except where validate/ says otherwise).

export const GATEWAY_GROUP = 'gateway.networking.k8s.io';
export const GATEWAY_X_GROUP = 'gateway.networking.x-k8s.io';
export const ENVOY_GATEWAY_GROUP = 'gateway.envoyproxy.io';

export type Channel = 'standard' | 'experimental';

export interface ServedVersion {
  version: string;
  /** The least channel whose CRD serves this version. */
  channel: Channel;
  /** The CRD's deprecationWarning, for deprecated versions. */
  deprecated?: string;
}

export interface KindInfo {
  kind: string;
  /** API group; '' for the core group. */
  group: string;
  namespaced: boolean;
  versions: readonly ServedVersion[];
}

const std = (version: string): ServedVersion => ({ version, channel: 'standard' });
const deprecatedExp = (kind: string, version: string): ServedVersion => ({
  version,
  channel: 'experimental',
  deprecated: `The ${version} version of ${kind} has been deprecated and will be removed in a future release of the API. Please upgrade to v1.`,
});

export const KINDS: readonly KindInfo[] = [
  { kind: 'GatewayClass', group: GATEWAY_GROUP, namespaced: false, versions: [std('v1'), std('v1beta1')] },
  { kind: 'Gateway', group: GATEWAY_GROUP, namespaced: true, versions: [std('v1'), std('v1beta1')] },
  { kind: 'ListenerSet', group: GATEWAY_GROUP, namespaced: true, versions: [std('v1')] },
  { kind: 'HTTPRoute', group: GATEWAY_GROUP, namespaced: true, versions: [std('v1'), std('v1beta1')] },
  { kind: 'GRPCRoute', group: GATEWAY_GROUP, namespaced: true, versions: [std('v1')] },
  {
    kind: 'TLSRoute',
    group: GATEWAY_GROUP,
    namespaced: true,
    versions: [std('v1'), deprecatedExp('TLSRoute', 'v1alpha2'), deprecatedExp('TLSRoute', 'v1alpha3')],
  },
  {
    kind: 'TCPRoute',
    group: GATEWAY_GROUP,
    namespaced: true,
    versions: [std('v1'), deprecatedExp('TCPRoute', 'v1alpha2')],
  },
  {
    kind: 'UDPRoute',
    group: GATEWAY_GROUP,
    namespaced: true,
    versions: [std('v1'), deprecatedExp('UDPRoute', 'v1alpha2')],
  },
  { kind: 'ReferenceGrant', group: GATEWAY_GROUP, namespaced: true, versions: [std('v1'), std('v1beta1')] },
  {
    kind: 'BackendTLSPolicy',
    group: GATEWAY_GROUP,
    namespaced: true,
    versions: [std('v1'), deprecatedExp('BackendTLSPolicy', 'v1alpha3')],
  },
  { kind: 'Namespace', group: '', namespaced: false, versions: [std('v1')] },
  { kind: 'Service', group: '', namespaced: true, versions: [std('v1')] },
  { kind: 'Secret', group: '', namespaced: true, versions: [std('v1')] },
  { kind: 'ConfigMap', group: '', namespaced: true, versions: [std('v1')] },
  { kind: 'EndpointSlice', group: 'discovery.k8s.io', namespaced: true, versions: [std('v1')] },
  { kind: 'Backend', group: ENVOY_GATEWAY_GROUP, namespaced: true, versions: [std('v1alpha1')] },
];

/**
 * Kinds read under another name. Gateway API v1.3–v1.5 served ListenerSet as the experimental
 * gateway.networking.x-k8s.io/v1alpha1 XListenerSet; v1.6 serves only v1 ListenerSet, with the
 * same spec. Old manifests are read as the v1 kind, with a warning.
 */
const RENAMED: readonly { group: string; version: string; kind: string; to: string }[] = [
  { group: GATEWAY_X_GROUP, version: 'v1alpha1', kind: 'XListenerSet', to: 'ListenerSet' },
];

const byKind = new Map(KINDS.map((k) => [k.kind, k]));

export function kindInfo(kind: string): KindInfo | undefined {
  return byKind.get(kind);
}

/** Whether objects of the (normalised) kind live in a namespace. Unknown kinds count as namespaced. */
export function isNamespacedKind(kind: string): boolean {
  return byKind.get(kind)?.namespaced ?? true;
}

export function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.lastIndexOf('/');
  return slash < 0
    ? { group: '', version: apiVersion }
    : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

export interface ResolvedKind {
  /** Normalised kind: the name the Snapshot holds it under. */
  kind: string;
  /** apiVersion to store on the object (the written one, or the v1 one for a renamed kind). */
  apiVersion: string;
  group: string;
  version: string;
  namespaced: boolean;
  channel: Channel;
  /** A warning to show the user (deprecated version, renamed kind). */
  warning?: string;
}

/** Resolves a manifest's apiVersion/kind, or undefined when Portunus does not read it. */
export function resolveKind(apiVersion: string, kind: string): ResolvedKind | undefined {
  const { group, version } = splitApiVersion(apiVersion);
  const renamed = RENAMED.find((r) => r.group === group && r.version === version && r.kind === kind);
  if (renamed) {
    const info = byKind.get(renamed.to)!;
    return {
      kind: info.kind,
      apiVersion: `${info.group}/${info.versions[0]!.version}`,
      group: info.group,
      version: info.versions[0]!.version,
      namespaced: info.namespaced,
      channel: 'experimental',
      warning: `${apiVersion} ${kind} is not served by Gateway API v1.6; read as ${info.group}/${info.versions[0]!.version} ${info.kind}`,
    };
  }
  const info = byKind.get(kind);
  if (!info || info.group !== group) return undefined;
  const served = info.versions.find((v) => v.version === version);
  if (!served) return undefined;
  return {
    kind: info.kind,
    apiVersion,
    group,
    version,
    namespaced: info.namespaced,
    channel: served.channel,
    ...(served.deprecated ? { warning: `${apiVersion} ${kind}: ${served.deprecated}` } : {}),
  };
}

/** "gateway.networking.k8s.io/v1, gateway.networking.k8s.io/v1beta1" — for messages. */
export function servedApiVersions(kind: string): string[] {
  const info = byKind.get(kind);
  if (!info) return [];
  return info.versions.map((v) => (info.group ? `${info.group}/${v.version}` : v.version));
}
