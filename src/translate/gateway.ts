// Gateway pass: Gateway-level validation (class, parameters, addresses, backend client
// certificate), the Gateway's own listeners and their conflicts. ListenerSets are attached after
// this (listenerset.ts); finalize (finalize.ts) writes status once routes have been counted.

import type { Gateway, GatewayAddress, Listener, ListenerSet, Resource } from '../api/types.ts';
import type { ClusterIR, GatewayIR } from '../ir/types.ts';
import { compareResources } from '../provider/snapshot.ts';
import { type AddressVerdicts, ANY_ADDRESS, analyzeAddresses } from './addresses.ts';
import type { CertificateResolver } from './certificates.ts';
import { ConditionType, condition } from './conditions.ts';
import { GATEWAY_GROUP, type GatewayContext, type TranslateContext } from './context.ts';

import type { ManagedGatewayClass } from './gatewayclass.ts';
import { resolveConflicts } from './listener/conflicts.ts';
import { applyFrontendValidation } from './listener/frontend.ts';
import { type ListenerState, newListenerState, type Verdict } from './listener/state.ts';
import { certificateDiagnostics, validateListener } from './listener/validate.ts';

export interface ListenerSetState {
  readonly listenerSet: ListenerSet;
  readonly gateway: GatewayState;
  /** Accepted verdict of the set; attached sets contribute listeners to the Gateway. */
  accepted: Verdict;
  attached: boolean;
  listeners: ListenerState[];
}

export interface GatewayState extends GatewayContext {
  readonly listeners: ListenerState[];
  /** The Gateway's own listeners, in spec order (a prefix of `listeners`). */
  readonly ownListeners: ListenerState[];
  /** ListenerSets whose parentRef is this Gateway, in precedence order. */
  readonly listenerSets: ListenerSetState[];
  accepted: Verdict;
  /** Why the Gateway cannot be programmed although accepted (addresses). */
  addressProblem: Verdict | null;
  resolvedRefs: Verdict;
  statusAddresses: { type: string; value: string }[];
  backendClientCertificate?: { certPem: string; keyPem: string };
  /** Listeners accepted by conflict resolution so far (ListenerSets are checked against them). */
  winners: ListenerState[];
  /** Whether the Gateway will be served, so its listeners take ports from later Gateways. */
  contends: boolean;
}

/**
 * spec.infrastructure.parametersRef: like the GatewayClass one, only a ConfigMap (in the
 * Gateway's namespace) that exists is accepted; anything else is InvalidParameters.
 */
function infrastructureProblem(ctx: TranslateContext, gw: Gateway): Verdict | null {
  const ref = gw.spec?.infrastructure?.parametersRef;
  if (!ref) return null;
  const ns = gw.metadata.namespace ?? 'default';
  if ((ref.group ?? '') !== '' || ref.kind !== 'ConfigMap') {
    const gk = ref.group ? `${ref.kind}.${ref.group}` : ref.kind;
    return {
      status: false,
      reason: 'InvalidParameters',
      message: `infrastructure.parametersRef kind ${gk} is not supported (Portunus accepts a core ConfigMap)`,
    };
  }
  if (!ctx.snapshot.get('ConfigMap', ns, ref.name)) {
    return {
      status: false,
      reason: 'InvalidParameters',
      message: `infrastructure.parametersRef ConfigMap ${ns}/${ref.name} does not exist`,
    };
  }
  return null;
}

function sortedRecord(r: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(r ?? {}).sort()) out[k] = r![k]!;
  return out;
}

function newGatewayState(gw: Gateway, cls: ManagedGatewayClass, addresses: AddressVerdicts): GatewayState {
  const namespace = gw.metadata.namespace ?? 'default';
  const name = gw.metadata.name;
  const infra = gw.spec?.infrastructure;
  const ir: GatewayIR = {
    name: `${namespace}/${name}`,
    namespace,
    gatewayClassName: gw.spec?.gatewayClassName ?? '',
    addresses: addresses.bound,
    ...(infra?.labels || infra?.annotations
      ? { infrastructure: { labels: sortedRecord(infra.labels), annotations: sortedRecord(infra.annotations) } }
      : {}),
    listeners: [],
    clusters: [],
  };
  const clusterNames = new Set<string>();
  return {
    gateway: gw,
    gatewayClass: cls.gatewayClass,
    namespace,
    name,
    listeners: [],
    ownListeners: [],
    listenerSets: [],
    conditions: [],
    ir,
    addCluster(cluster: ClusterIR): void {
      if (clusterNames.has(cluster.name)) return;
      clusterNames.add(cluster.name);
      ir.clusters.push(cluster);
    },
    accepted: { status: true, reason: 'Accepted', message: 'Gateway is accepted' },
    addressProblem: addresses.problem,
    resolvedRefs: { status: true, reason: 'ResolvedRefs', message: 'All references are resolved' },
    statusAddresses: addresses.status,
    winners: [],
    contends: false,
  };
}

/**
 * Accepted for a set of listeners: all / some / none valid (spec reason ListenersNotValid). A
 * Gateway counts its listeners' Accepted condition. A ListenerSet (`strict`) also counts a
 * listener that cannot be programmed (e.g. no usable certificate) as not valid, as the
 * ListenerSet conformance tests require.
 */
export function acceptedFromListeners(listeners: readonly ListenerState[], what: string, strict = false): Verdict {
  const bad = listeners
    .filter((l) => !l.accepted.status || l.conflicted || (strict && l.notProgrammed))
    .map((l) => l.listener.name);
  if (bad.length === 0) return { status: true, reason: 'Accepted', message: `${what} is accepted` };
  const names = [...new Set(bad)].sort().join(', ');
  if (bad.length < listeners.length) {
    return { status: true, reason: 'ListenersNotValid', message: `${what} is accepted; listeners not valid: ${names}` };
  }
  return { status: false, reason: 'ListenersNotValid', message: `No listener is valid: ${names}` };
}

/** Builds listener states for a listener list, skipping duplicate names (first one wins). */
export function buildListeners(
  ctx: TranslateContext,
  gateway: GatewayState,
  listeners: readonly Listener[],
  owner: Gateway | ListenerSet,
  listenerSet: ListenerSet | undefined,
): ListenerState[] {
  const out: ListenerState[] = [];
  const names = new Set<string>();
  for (const [i, l] of listeners.entries()) {
    if (names.has(l.name)) {
      ctx.diagnostics.push({
        severity: 'error',
        code: 'DUPLICATE_LISTENER',
        message: `listener name "${l.name}" is used more than once; only the first is translated`,
        resource: { kind: owner.kind, namespace: owner.metadata.namespace, name: owner.metadata.name },
        field: `spec.listeners[${i}].name`,
      });
      continue;
    }
    names.add(l.name);
    out.push(newListenerState(ctx.snapshot, gateway, l, i, listenerSet));
  }
  return out;
}

/** Precedence among Gateways or ListenerSets: older creationTimestamp first, then namespace/name. */
export function compareByAge(a: Resource, b: Resource): number {
  const ta = a.metadata.creationTimestamp ?? '';
  const tb = b.metadata.creationTimestamp ?? '';
  if (ta !== tb) {
    // A missing timestamp sorts first (file manifests usually have none; then names decide).
    const pa = ta ? Date.parse(ta) : Number.NEGATIVE_INFINITY;
    const pb = tb ? Date.parse(tb) : Number.NEGATIVE_INFINITY;
    if (pa !== pb && !Number.isNaN(pa) && !Number.isNaN(pb)) return pa < pb ? -1 : 1;
    return ta < tb ? -1 : 1;
  }
  return compareResources(a, b);
}

/** Whether two Gateways would bind some common address (no address means all of them). */
export function sharesAddress(a: GatewayState, b: GatewayState): boolean {
  const aa = a.ir.addresses;
  const ba = b.ir.addresses;
  if (aa.length === 0 || ba.length === 0) return true;
  if (aa.some((x) => ANY_ADDRESS.has(x)) || ba.some((x) => ANY_ADDRESS.has(x))) return true;
  return aa.some((x) => ba.includes(x));
}

/**
 * Listeners already won by other Gateways that `gw` must not clash with: in a shared address
 * space, those of the Gateways processed before it that bind a common address.
 */
export function otherGatewaysWinners(
  ctx: TranslateContext,
  gw: GatewayState,
  gateways: readonly GatewayState[],
): ListenerState[] {
  if (ctx.options.sharedAddressSpace !== true) return [];
  return gateways.filter((g) => g !== gw && g.contends && sharesAddress(g, gw)).flatMap((g) => g.winners);
}

/**
 * Validates our Gateways and their own listeners; returns them in precedence order (oldest
 * first), which is also the order listeners of different Gateways win conflicts in.
 */
export function translateGateways(
  ctx: TranslateContext,
  classes: ReadonlyMap<string, ManagedGatewayClass>,
  certs: CertificateResolver,
): GatewayState[] {
  const out: GatewayState[] = [];
  const ordered = ctx.snapshot.list<Gateway>('Gateway').sort(compareByAge);
  const pool = addressPool(
    ctx,
    ordered.filter((gw) => classes.has(gw.spec?.gatewayClassName ?? '')),
  );
  for (const gw of ordered) {
    const cls = classes.get(gw.spec?.gatewayClassName ?? '');
    if (!cls) continue;
    const addresses = pool ? pool(gw) : analyzeAddresses(gw.spec?.addresses, ctx.options);
    const state = newGatewayState(gw, cls, addresses);
    const from = { group: GATEWAY_GROUP, kind: 'Gateway', namespace: state.namespace };

    const gatewayProblem: Verdict | null = !cls.accepted
      ? {
          status: false,
          reason: 'Invalid',
          message: `GatewayClass ${cls.gatewayClass.metadata.name} is not accepted: ${cls.message}`,
        }
      : (infrastructureProblem(ctx, gw) ?? addresses.unsupported);
    // A Gateway that will not be served claims no port from the others.
    const contends = gatewayProblem === null && addresses.problem === null;

    const own = buildListeners(ctx, state, gw.spec?.listeners ?? [], gw, undefined);
    const report = certificateDiagnostics(ctx.diagnostics, gw);
    for (const l of own) {
      validateListener(l, certs, from, report);
      applyFrontendValidation(gw, l, certs);
    }
    state.winners.push(...resolveConflicts([own], contends ? otherGatewaysWinners(ctx, state, out) : []));
    state.ownListeners.push(...own);
    state.listeners.push(...own);

    state.accepted = gatewayProblem ?? acceptedFromListeners(own, 'Gateway');
    state.contends = contends && state.accepted.status;
    state.resolvedRefs = gatewayResolvedRefs(state, certs, from);
    state.conditions.push(
      condition({ type: ConditionType.Accepted, ...state.accepted }, gw.metadata.generation, ctx.options.now),
    );
    out.push(state);
  }
  return out;
}

/** Gateway ResolvedRefs: the backend client certificate, then a summary of the own listeners'. */
function gatewayResolvedRefs(
  state: GatewayState,
  certs: CertificateResolver,
  from: { group: string; kind: string; namespace: string },
): Verdict {
  const spec = state.gateway.spec;
  const ref = spec?.tls?.backend?.clientCertificateRef ?? spec?.backendTLS?.clientCertificateRef;
  if (ref) {
    const r = certs.resolve(ref, from);
    if (!r.ok) {
      return {
        status: false,
        reason: r.reason === 'RefNotPermitted' ? 'RefNotPermitted' : 'InvalidClientCertificateRef',
        message: `tls.backend.clientCertificateRef: ${r.message}`,
      };
    }
    state.backendClientCertificate = { certPem: r.certificate.certPem, keyPem: r.certificate.keyPem };
  }
  const unresolved = state.ownListeners.filter((l) => !l.resolvedRefs.status).map((l) => l.listener.name);
  if (unresolved.length > 0) {
    return {
      status: false,
      reason: 'ListenersNotResolved',
      message: `listeners with unresolved references: ${unresolved.join(', ')}`,
    };
  }
  return { status: true, reason: 'ResolvedRefs', message: 'All references are resolved' };
}

/** Whether a Gateway's addresses leave it to us to pick one (none named, or an IPAddress without value). */
function wantsAssignedAddress(addresses: readonly GatewayAddress[] | undefined): boolean {
  const list = addresses ?? [];
  return list.length === 0 || list.some((a) => (a.type ?? 'IPAddress') === 'IPAddress' && (a.value ?? '') === '');
}

/**
 * With options.addressPool: a function giving each managed Gateway (called oldest first) its
 * address verdicts, the assigned pool address standing in for the default address. Addresses that
 * any managed Gateway names explicitly are never handed out to another.
 */
function addressPool(ctx: TranslateContext, managed: readonly Gateway[]): ((gw: Gateway) => AddressVerdicts) | null {
  const poolOption = ctx.options.addressPool;
  if (!poolOption || poolOption.length === 0) return null;
  const requested = new Set(managed.flatMap((gw) => (gw.spec?.addresses ?? []).map((a) => a.value ?? '')));
  const free = poolOption.filter((a) => !requested.has(a));
  let next = 0;
  return (gw) => {
    if (!wantsAssignedAddress(gw.spec?.addresses)) return analyzeAddresses(gw.spec?.addresses, ctx.options);
    const assigned = free[next];
    if (assigned === undefined) {
      const verdicts = analyzeAddresses(gw.spec?.addresses, ctx.options);
      return {
        ...verdicts,
        bound: [],
        status: [],
        problem: verdicts.problem ?? {
          status: false,
          reason: 'AddressNotAssigned',
          message: `the address pool (${poolOption.length} addresses) has no address left for this Gateway`,
        },
      };
    }
    next++;
    return analyzeAddresses(gw.spec?.addresses, { ...ctx.options, defaultAddress: assigned });
  };
}
