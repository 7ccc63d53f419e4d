// Validation of one resource, as the API server would with the Gateway API v1.6 CRDs (and the
// Envoy Gateway Backend CRD) installed: ObjectMeta rules, the OpenAPI schema, and the CRDs'
// x-kubernetes-validations rules. Run it on a defaulted object (applyDefaults first), as the API
// server validates after defaulting.

import type { Resource } from '../types.ts';
import { kindInfo, splitApiVersion } from '../kinds.ts';
import { backendSpecS } from './backend.ts';
import { coreSchema } from './core.ts';
import { gatewayClassSpecS, gatewaySpecS, listenerSetSpecS } from './gateway.ts';
import { grpcRouteSpecS } from './grpcroute.ts';
import { httpRouteSpecS } from './httproute.ts';
import { l4RouteSpecS, tlsRouteSpecS } from './l4route.ts';
import { type NameRule, validateMetadata } from './meta.ts';
import { backendTLSPolicySpecS, referenceGrantSpecS } from './policy.ts';
import { any, type FieldIssue, type ObjectSchema, obj, type SchemaResult, validateSchema } from './schema.ts';

export type { FieldIssue, SchemaResult } from './schema.ts';

function specSchema(kind: string, version: string): ObjectSchema | undefined {
  switch (kind) {
    case 'GatewayClass':
      return gatewayClassSpecS;
    case 'Gateway':
      return gatewaySpecS;
    case 'ListenerSet':
      return listenerSetSpecS;
    case 'HTTPRoute':
      return httpRouteSpecS;
    case 'GRPCRoute':
      return grpcRouteSpecS;
    case 'TLSRoute':
      return tlsRouteSpecS(version);
    case 'TCPRoute':
    case 'UDPRoute':
      return l4RouteSpecS(version);
    case 'ReferenceGrant':
      return referenceGrantSpecS;
    case 'BackendTLSPolicy':
      return backendTLSPolicySpecS;
    case 'Backend':
      return backendSpecS;
    default:
      return undefined;
  }
}

const TOP_LEVEL = { apiVersion: any(), kind: any(), metadata: any(), status: any() };
const cache = new Map<string, ObjectSchema>();

/** The schema of a whole object of a kind (metadata aside), or undefined for a kind not read. */
function resourceSchema(kind: string, version: string): ObjectSchema | undefined {
  const key = `${kind}/${version}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const core = coreSchema(kind);
  const spec = specSchema(kind, version);
  const s = core ?? (spec ? obj({ ...TOP_LEVEL, spec }, { required: ['spec'] }) : undefined);
  if (s) cache.set(key, s);
  return s;
}

function nameRule(kind: string): NameRule {
  if (kind === 'Namespace') return 'label';
  if (kind === 'Service') return 'dns1035';
  return 'subdomain';
}

/** Errors and warnings (unknown fields) for one resource of a kind Portunus reads. */
export function validateResourceDetailed(resource: Resource): SchemaResult {
  const info = kindInfo(resource.kind);
  const errors: FieldIssue[] = [];
  validateMetadata(resource.metadata, nameRule(resource.kind), info?.namespaced ?? true, errors);
  const schema = resourceSchema(resource.kind, splitApiVersion(resource.apiVersion ?? '').version);
  if (!schema) return { errors, warnings: [] };
  const r = validateSchema(resource, schema, '');
  return { errors: [...errors, ...r.errors], warnings: r.warnings };
}

/** Validation errors for one (defaulted) resource; empty when the API server would accept it. */
export function validateResource(resource: Resource): FieldIssue[] {
  return validateResourceDetailed(resource).errors;
}
