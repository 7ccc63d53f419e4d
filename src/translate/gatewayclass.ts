// GatewayClass pass: status for the classes whose controllerName is ours; others are not touched.

import type { GatewayClass, GatewayClassStatus } from '../api/types.ts';
import { ConditionType, condition, mergeOwnedConditions } from './conditions.ts';
import { setStatus, type TranslateContext } from './context.ts';
import type { Verdict } from './listener/state.ts';

/** The Gateway API bundle version this translator implements. */
export const GATEWAY_API_VERSION = 'v1.6';

/**
 * Conformance features Portunus claims, sorted by name as the spec requires. Only features whose
 * behaviour the translator and data plane implement, and that the conformance suites here exercise
 * (status in test/conformance, traffic in test/conformance-traffic), belong here.
 */
export const SUPPORTED_FEATURES: readonly string[] = [
  'GRPCRoute',
  'GRPCRouteNamedRouteRule',
  'Gateway',
  'GatewayAddressEmpty',
  'GatewayHTTPListenerIsolation',
  'GatewayPort8080',
  'GatewayStaticAddresses',
  'HTTPRoute',
  'HTTPRoute303RedirectStatusCode',
  'HTTPRoute307RedirectStatusCode',
  'HTTPRoute308RedirectStatusCode',
  'HTTPRouteBackendProtocolH2C',
  'HTTPRouteBackendProtocolWebSocket',
  'HTTPRouteBackendRequestHeaderModification',
  'HTTPRouteBackendTimeout',
  'HTTPRouteCORS',
  'HTTPRouteHostRewrite',
  'HTTPRouteMethodMatching',
  'HTTPRouteNamedRouteRule',
  'HTTPRouteParentRefPort',
  'HTTPRoutePathRedirect',
  'HTTPRoutePathRewrite',
  'HTTPRoutePortRedirect',
  'HTTPRouteQueryParamMatching',
  'HTTPRouteRequestMirror',
  'HTTPRouteRequestMultipleMirrors',
  'HTTPRouteRequestPercentageMirror',
  'HTTPRouteRequestTimeout',
  'HTTPRouteResponseHeaderModification',
  'HTTPRouteRetry',
  'HTTPRouteRetryBackendTimeout',
  'HTTPRouteRetryConnectionError',
  'HTTPRouteSchemeRedirect',
  'ListenerSet',
  'ReferenceGrant',
  // Exercised with traffic by test/conformance-traffic (tlsroute, tcproute, udproute).
  'TCPRoute',
  'TLSRoute',
  'TLSRouteModeMixed',
  'TLSRouteModeTerminate',
  'UDPRoute',
].sort();

export interface ManagedGatewayClass {
  readonly gatewayClass: GatewayClass;
  /** False when the class itself is not accepted; its Gateways are then not accepted either. */
  readonly accepted: boolean;
  readonly message: string;
}

/**
 * parametersRef: Portunus has no class parameters of its own yet, but accepts a reference to an
 * existing ConfigMap (namespace required, ConfigMap is namespaced) so classes can point at one
 * ahead of time. Anything else is InvalidParameters, as the spec lists: missing namespace,
 * unsupported kind, or an object that does not exist.
 */
function parametersProblem(ctx: TranslateContext, gc: GatewayClass): string | null {
  const ref = gc.spec?.parametersRef;
  if (!ref) return null;
  const gk = ref.group ? `${ref.kind}.${ref.group}` : ref.kind;
  if ((ref.group ?? '') !== '' || ref.kind !== 'ConfigMap') {
    return `parametersRef kind ${gk} is not supported (Portunus accepts a core ConfigMap)`;
  }
  if (!ref.namespace) return `parametersRef to ConfigMap ${ref.name} needs a namespace (ConfigMap is namespaced)`;
  if (!ctx.snapshot.get('ConfigMap', ref.namespace, ref.name)) {
    return `parametersRef ConfigMap ${ref.namespace}/${ref.name} does not exist`;
  }
  return null;
}

/** Computes status for our GatewayClasses and returns them by name. */
export function translateGatewayClasses(ctx: TranslateContext): Map<string, ManagedGatewayClass> {
  const out = new Map<string, ManagedGatewayClass>();
  const { now, controllerName } = ctx.options;
  for (const gc of ctx.snapshot.list<GatewayClass>('GatewayClass')) {
    if (gc.spec?.controllerName !== controllerName) continue;
    const problem = parametersProblem(ctx, gc);
    const accepted: Verdict = problem
      ? { status: false, reason: 'InvalidParameters', message: problem }
      : { status: true, reason: 'Accepted', message: 'GatewayClass is accepted' };
    const gen = gc.metadata.generation;
    const conditions = [
      condition({ type: ConditionType.Accepted, ...accepted }, gen, now),
      condition(
        {
          type: ConditionType.SupportedVersion,
          status: true,
          reason: 'SupportedVersion',
          message: `Gateway API ${GATEWAY_API_VERSION} is supported`,
        },
        gen,
        now,
      ),
    ];
    const status: GatewayClassStatus = {
      ...(gc.status ?? {}),
      conditions: mergeOwnedConditions(gc.status?.conditions, conditions),
      supportedFeatures: SUPPORTED_FEATURES.map((name) => ({ name })),
    };
    setStatus(ctx, gc, status);
    out.set(gc.metadata.name, { gatewayClass: gc, accepted: accepted.status, message: accepted.message });
  }
  return out;
}
