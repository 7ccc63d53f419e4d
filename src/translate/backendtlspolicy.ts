// BackendTLSPolicy (v1): TLS from the gateway to a Service's endpoints. Runs after the route
// passes, on the clusters they created (backends.ts records each cluster's Service and port).
//
// - targetRefs name core Services; sectionName is a Service port name. For one Service port, a
//   policy naming that port wins over one naming the whole Service (both stay Accepted).
// - Policies selecting the same target and sectionName conflict: the oldest, then
//   "{namespace}/{name}", wins; the others get Accepted=False Conflicted and are not applied.
// - validation.caCertificateRefs: ConfigMap (core) or Secret with a PEM bundle under "ca.crt";
//   another kind → ResolvedRefs=False InvalidKind; missing/malformed → InvalidCACertificateRef.
//   When every ref is invalid, Accepted=False NoValidCACertificate. wellKnownCACertificates
//   "System" uses the system trust store; any other value → Accepted=False Invalid.
// - A policy that is not usable is still applied, with an empty trust store: connections to the
//   backend then fail and clients get a 5xx, as the spec requires (it must not fall back to
//   plaintext or to skipping verification).
// - Status: one ancestors entry per Gateway whose routes use a targeted Service.
// - The Gateway's client certificate (spec.tls.backend.clientCertificateRef) is presented when set.

import { X509Certificate } from 'node:crypto';
import type {
  BackendTLSPolicy,
  Condition,
  ConfigMap,
  LocalObjectReference,
  PolicyAncestorStatus,
  PolicyStatus,
} from '../api/types.ts';
import type { ClusterIR, UpstreamTLSIR } from '../ir/types.ts';
import { type ClusterOrigin, clusterOrigins } from './backends.ts';
import { secretValue } from './certificates.ts';
import { ConditionType, condition, mergeConditions } from './conditions.ts';
import { GATEWAY_GROUP, type GatewayContext, setStatus, type TranslateContext } from './context.ts';
import { compareRouteIdentity } from './precedence.ts';

interface Verdict {
  status: boolean;
  reason: string;
  message: string;
}

interface PolicyState {
  policy: BackendTLSPolicy;
  namespace: string;
  accepted: Verdict;
  resolvedRefs: Verdict;
  conflicted: boolean;
  tls: Omit<UpstreamTLSIR, 'clientCertificate'>;
}

const CA_KEY = 'ca.crt';

/** Parses a PEM bundle; returns the certificates in it, or an error message. */
export function parseCABundle(pem: string): string[] | { error: string } {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) return { error: 'contains no PEM certificate' };
  for (const b of blocks) {
    try {
      new X509Certificate(b);
    } catch (err) {
      return { error: `contains an invalid certificate (${(err as Error).message})` };
    }
  }
  return blocks.map((b) => `${b}\n`);
}

function loadCA(
  ctx: TranslateContext,
  namespace: string,
  ref: LocalObjectReference,
): { pem: string[] } | { reason: string; message: string } {
  const id = `${namespace}/${ref.name}`;
  if ((ref.group ?? '') !== '' || (ref.kind !== 'ConfigMap' && ref.kind !== 'Secret')) {
    const gk = ref.group ? `${ref.kind}.${ref.group}` : ref.kind;
    return {
      reason: 'InvalidKind',
      message: `caCertificateRef ${gk} ${id}: only core ConfigMaps and Secrets are supported`,
    };
  }
  const obj = ctx.snapshot.get(ref.kind, namespace, ref.name) as ConfigMap | undefined;
  if (!obj) return { reason: 'InvalidCACertificateRef', message: `caCertificateRef ${ref.kind} ${id} does not exist` };
  const value = ref.kind === 'Secret' ? secretValue(obj, CA_KEY) : obj.data?.[CA_KEY];
  if (!value)
    return { reason: 'InvalidCACertificateRef', message: `caCertificateRef ${ref.kind} ${id} has no ${CA_KEY}` };
  const parsed = parseCABundle(value);
  if ('error' in parsed)
    return {
      reason: 'InvalidCACertificateRef',
      message: `caCertificateRef ${ref.kind} ${id}: ${CA_KEY} ${parsed.error}`,
    };
  return { pem: parsed };
}

function evaluate(ctx: TranslateContext, policy: BackendTLSPolicy): PolicyState {
  const namespace = policy.metadata.namespace ?? 'default';
  const v = policy.spec?.validation;
  const state: PolicyState = {
    policy,
    namespace,
    accepted: { status: true, reason: 'Accepted', message: 'Policy is accepted' },
    resolvedRefs: { status: true, reason: 'ResolvedRefs', message: 'Resolved all the object references of the policy' },
    conflicted: false,
    tls: { serverName: v?.hostname ?? '', caPem: [], useSystemCAs: false, subjectAltNames: [] },
  };
  for (const san of v?.subjectAltNames ?? []) {
    const value = san.type === 'URI' ? san.uri : san.hostname;
    if (value) state.tls.subjectAltNames.push({ type: san.type, value });
  }
  const refs = v?.caCertificateRefs ?? [];
  const wellKnown = v?.wellKnownCACertificates;
  if (refs.length > 0 && wellKnown) {
    state.accepted = {
      status: false,
      reason: 'Invalid',
      message: 'caCertificateRefs and wellKnownCACertificates cannot both be set',
    };
    return state;
  }
  if (refs.length === 0) {
    if (wellKnown === 'System') state.tls.useSystemCAs = true;
    else {
      state.accepted = {
        status: false,
        reason: 'Invalid',
        message: wellKnown
          ? `wellKnownCACertificates "${wellKnown}" is not supported`
          : 'one of caCertificateRefs or wellKnownCACertificates is required',
      };
    }
    return state;
  }
  const problems: { reason: string; message: string }[] = [];
  for (const ref of refs) {
    const r = loadCA(ctx, namespace, ref);
    if ('pem' in r) state.tls.caPem.push(...r.pem);
    else problems.push(r);
  }
  if (problems.length > 0) {
    state.resolvedRefs = {
      status: false,
      reason: problems[0]!.reason,
      message: problems.map((p) => p.message).join('; '),
    };
  }
  if (state.tls.caPem.length === 0) {
    state.accepted = {
      status: false,
      reason: 'NoValidCACertificate',
      message: 'none of the caCertificateRefs is a valid CA certificate',
    };
  }
  return state;
}

/** Target keys of a policy: "namespace/service/sectionName" ("" = whole Service). */
function targetKeys(s: PolicyState): string[] {
  return (s.policy.spec?.targetRefs ?? [])
    .filter((t) => (t.group ?? '') === '' && t.kind === 'Service')
    .map((t) => `${s.namespace}/${t.name}/${t.sectionName ?? ''}`);
}

function targets(s: PolicyState, o: ClusterOrigin): 'port' | 'service' | null {
  if (o.kind !== 'Service' || o.namespace !== s.namespace) return null;
  let best: 'port' | 'service' | null = null;
  for (const t of s.policy.spec?.targetRefs ?? []) {
    if ((t.group ?? '') !== '' || t.kind !== 'Service' || t.name !== o.name) continue;
    if (t.sectionName === undefined || t.sectionName === '') best ??= 'service';
    else if (t.sectionName === o.portName) best = 'port';
  }
  return best;
}

const TLS_PROTOCOLS = new Set<ClusterIR['protocol']>(['http1', 'h2c', 'h2', 'ws']);

export function translateBackendTLSPolicies(ctx: TranslateContext, gateways: GatewayContext[]): void {
  const states = ctx.snapshot
    .list<BackendTLSPolicy>('BackendTLSPolicy')
    .map((p) => evaluate(ctx, p))
    .sort((a, b) =>
      compareRouteIdentity(
        {
          creationTimestamp: a.policy.metadata.creationTimestamp,
          namespace: a.namespace,
          name: a.policy.metadata.name,
        },
        {
          creationTimestamp: b.policy.metadata.creationTimestamp,
          namespace: b.namespace,
          name: b.policy.metadata.name,
        },
      ),
    );
  const claimed = new Map<string, PolicyState>();
  for (const s of states) {
    const keys = targetKeys(s);
    const winner = keys.map((k) => claimed.get(k)).find((w) => w !== undefined);
    if (winner) {
      s.conflicted = true;
      s.accepted = {
        status: false,
        reason: 'Conflicted',
        message: `BackendTLSPolicy ${winner.namespace}/${winner.policy.metadata.name} already targets the same Service and sectionName`,
      };
      continue;
    }
    for (const k of keys) claimed.set(k, s);
  }

  const ancestors = new Map<PolicyState, GatewayContext[]>();
  for (const gw of gateways) {
    const byName = new Map(gw.ir.clusters.map((c) => [c.name, c]));
    for (const [name, origin] of clusterOrigins(gw)) {
      let chosen: { s: PolicyState; rank: 'port' | 'service' } | null = null;
      for (const s of states) {
        const rank = targets(s, origin);
        if (!rank) continue;
        const list = ancestors.get(s) ?? [];
        if (!list.includes(gw)) list.push(gw);
        ancestors.set(s, list);
        if (s.conflicted) continue;
        if (!chosen || (chosen.rank === 'service' && rank === 'port')) chosen = { s, rank };
      }
      const cluster = byName.get(name);
      if (!chosen || !cluster || !TLS_PROTOCOLS.has(cluster.protocol)) continue;
      const tls: UpstreamTLSIR = structuredClone(chosen.s.tls);
      if (gw.backendClientCertificate) tls.clientCertificate = { ...gw.backendClientCertificate };
      cluster.tls = tls;
      if (cluster.protocol === 'h2c') cluster.protocol = 'h2';
    }
  }

  for (const s of states) writePolicyStatus(ctx, s, ancestors.get(s) ?? []);
}

function writePolicyStatus(ctx: TranslateContext, s: PolicyState, gateways: readonly GatewayContext[]): void {
  const controller = ctx.options.controllerName;
  const previous = (s.policy.status as PolicyStatus | undefined)?.ancestors ?? [];
  const hadOurs = previous.some((a) => a.controllerName === controller);
  if (gateways.length === 0 && !hadOurs) return;
  const gen = s.policy.metadata.generation;
  const { now } = ctx.options;
  const sorted = [...gateways].sort((a, b) => (`${a.namespace}/${a.name}` < `${b.namespace}/${b.name}` ? -1 : 1));
  const ours: PolicyAncestorStatus[] = sorted.map((gw) => {
    const next: Condition[] = [
      condition({ type: ConditionType.Accepted, ...s.accepted }, gen, now),
      condition({ type: ConditionType.ResolvedRefs, ...s.resolvedRefs }, gen, now),
    ];
    const prev = previous.find(
      (a) =>
        a.controllerName === controller &&
        a.ancestorRef.name === gw.name &&
        (a.ancestorRef.namespace ?? s.namespace) === gw.namespace,
    );
    return {
      ancestorRef: { group: GATEWAY_GROUP, kind: 'Gateway', namespace: gw.namespace, name: gw.name },
      controllerName: controller,
      conditions: mergeConditions(prev?.conditions, next),
    };
  });
  const status: PolicyStatus = { ancestors: [...previous.filter((a) => a.controllerName !== controller), ...ours] };
  setStatus(ctx, s.policy, status);
}
