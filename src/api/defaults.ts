// Defaults the API server applies on create, from the CRDs' OpenAPI `default`s (Gateway API
// v1.6, Envoy Gateway Backend) and from core Kubernetes defaulting for the few core fields
// Portunus reads. As in OpenAPI defaulting, a default applies only where the parent object
// exists, and a value of the wrong type is left for validation to report.

import { GATEWAY_GROUP, isNamespacedKind } from './kinds.ts';
import type { Resource } from './types.ts';

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Sets o[key] to a copy of value when absent (undefined or null, as YAML writes an empty field). */
function def(o: Obj, key: string, value: unknown): void {
  if (o[key] === undefined || o[key] === null) o[key] = structuredClone(value);
}

/** Calls fn for o[key] when it is an object. */
function at(o: unknown, key: string, fn: (child: Obj) => void): void {
  if (isObj(o) && isObj(o[key])) fn(o[key] as Obj);
}

/** Calls fn for each object item of the array o[key]. */
function each(o: unknown, key: string, fn: (item: Obj) => void): void {
  if (!isObj(o) || !Array.isArray(o[key])) return;
  for (const item of o[key] as unknown[]) if (isObj(item)) fn(item);
}

// ---------- shared pieces ----------

function parentRef(r: Obj): void {
  def(r, 'group', GATEWAY_GROUP);
  def(r, 'kind', 'Gateway');
}

function backendObjectRef(r: Obj): void {
  def(r, 'group', '');
  def(r, 'kind', 'Service');
}

function secretRef(r: Obj): void {
  def(r, 'group', '');
  def(r, 'kind', 'Secret');
}

function weightedBackendRef(r: Obj): void {
  backendObjectRef(r);
  def(r, 'weight', 1);
}

function frontendValidation(v: Obj): void {
  def(v, 'mode', 'AllowValidOnly');
}

function listener(l: Obj): void {
  def(l, 'allowedRoutes', { namespaces: { from: 'Same' } });
  at(l, 'allowedRoutes', (ar) => {
    def(ar, 'namespaces', { from: 'Same' });
    at(ar, 'namespaces', (ns) => def(ns, 'from', 'Same'));
    each(ar, 'kinds', (k) => def(k, 'group', GATEWAY_GROUP));
  });
  at(l, 'tls', (tls) => {
    def(tls, 'mode', 'Terminate');
    each(tls, 'certificateRefs', secretRef);
  });
}

function sessionPersistence(rule: Obj): void {
  at(rule, 'sessionPersistence', (sp) => {
    def(sp, 'type', 'Cookie');
    at(sp, 'cookieConfig', (cc) => def(cc, 'lifetimeType', 'Session'));
  });
}

function mirror(f: Obj): void {
  at(f, 'requestMirror', (m) => {
    at(m, 'backendRef', backendObjectRef);
    at(m, 'fraction', (fr) => def(fr, 'denominator', 100));
  });
}

function httpFilter(f: Obj): void {
  mirror(f);
  at(f, 'requestRedirect', (r) => def(r, 'statusCode', 302));
  at(f, 'cors', (c) => def(c, 'maxAge', 5));
  at(f, 'externalAuth', (a) => at(a, 'backendRef', backendObjectRef));
}

const ROOT_PATH_MATCH = { type: 'PathPrefix', value: '/' };

function httpRouteSpec(spec: Obj): void {
  each(spec, 'parentRefs', parentRef);
  def(spec, 'rules', [{ matches: [{ path: ROOT_PATH_MATCH }] }]);
  each(spec, 'rules', (rule) => {
    def(rule, 'matches', [{ path: ROOT_PATH_MATCH }]);
    each(rule, 'matches', (m) => {
      def(m, 'path', ROOT_PATH_MATCH);
      at(m, 'path', (p) => {
        def(p, 'type', 'PathPrefix');
        def(p, 'value', '/');
      });
      each(m, 'headers', (h) => def(h, 'type', 'Exact'));
      each(m, 'queryParams', (q) => def(q, 'type', 'Exact'));
    });
    each(rule, 'filters', httpFilter);
    each(rule, 'backendRefs', (b) => {
      weightedBackendRef(b);
      each(b, 'filters', httpFilter);
    });
    sessionPersistence(rule);
  });
}

function grpcRouteSpec(spec: Obj): void {
  each(spec, 'parentRefs', parentRef);
  each(spec, 'rules', (rule) => {
    each(rule, 'matches', (m) => {
      at(m, 'method', (mm) => def(mm, 'type', 'Exact'));
      each(m, 'headers', (h) => def(h, 'type', 'Exact'));
    });
    each(rule, 'filters', mirror);
    each(rule, 'backendRefs', (b) => {
      weightedBackendRef(b);
      each(b, 'filters', mirror);
    });
    sessionPersistence(rule);
  });
}

function l4RouteSpec(spec: Obj): void {
  each(spec, 'parentRefs', parentRef);
  each(spec, 'rules', (rule) => each(rule, 'backendRefs', weightedBackendRef));
}

function gatewaySpec(spec: Obj): void {
  each(spec, 'listeners', listener);
  each(spec, 'addresses', (a) => def(a, 'type', 'IPAddress'));
  at(spec, 'allowedListeners', (al) => {
    def(al, 'namespaces', { from: 'None' });
    at(al, 'namespaces', (ns) => def(ns, 'from', 'None'));
  });
  at(spec, 'tls', (tls) => {
    at(tls, 'backend', (b) => at(b, 'clientCertificateRef', secretRef));
    at(tls, 'frontend', (fe) => {
      at(fe, 'default', (d) => at(d, 'validation', frontendValidation));
      each(fe, 'perPort', (pp) => at(pp, 'tls', (t) => at(t, 'validation', frontendValidation)));
    });
  });
}

function listenerSetSpec(spec: Obj): void {
  at(spec, 'parentRef', parentRef);
  each(spec, 'listeners', listener);
}

function backendSpec(spec: Obj): void {
  def(spec, 'type', 'Endpoints');
  at(spec, 'tls', (tls) => {
    def(tls, 'insecureSkipVerify', false);
    at(tls, 'clientCertificateRef', secretRef);
  });
}

function serviceSpec(spec: Obj): void {
  def(spec, 'type', 'ClusterIP');
  each(spec, 'ports', (p) => {
    def(p, 'protocol', 'TCP');
    if (typeof p.port === 'number') def(p, 'targetPort', p.port);
  });
}

const SPEC_DEFAULTS: Record<string, (spec: Obj) => void> = {
  Gateway: gatewaySpec,
  ListenerSet: listenerSetSpec,
  HTTPRoute: httpRouteSpec,
  GRPCRoute: grpcRouteSpec,
  TLSRoute: l4RouteSpec,
  TCPRoute: l4RouteSpec,
  UDPRoute: l4RouteSpec,
  Backend: backendSpec,
  Service: serviceSpec,
};

/**
 * Drops properties whose value is null, as the API server prunes nulls of non-nullable fields
 * (every Gateway API field) before defaulting. YAML writes an empty field (`tls:`) as null.
 */
function pruneNulls(v: unknown): void {
  if (Array.isArray(v)) {
    for (const item of v) pruneNulls(item);
  } else if (isObj(v)) {
    for (const [k, child] of Object.entries(v)) {
      if (child === null) delete v[k];
      else pruneNulls(child);
    }
  }
}

/**
 * Returns a defaulted copy of a resource of a (normalised) kind, null fields dropped. The input is
 * not modified.
 * creationTimestamp is kept as written and never invented: file manifests rarely have one, and
 * an invented clock value would make translation non-deterministic.
 */
export function applyDefaults<R extends Resource>(resource: R): R {
  const r = structuredClone(resource) as R & Obj;
  pruneNulls(r);
  if (isObj(r.metadata)) {
    const meta = r.metadata as Obj;
    if (isNamespacedKind(r.kind)) {
      if (meta.namespace === '') delete meta.namespace;
      def(meta, 'namespace', 'default');
    }
    // The API server ignores a namespace on a cluster-scoped object.
    else delete meta.namespace;
    def(meta, 'generation', 1);
  }
  if (r.kind === 'Secret' && r.type === undefined) (r as Obj).type = 'Opaque';
  const fn = SPEC_DEFAULTS[r.kind];
  if (fn && isObj(r.spec)) fn(r.spec as Obj);
  return r;
}
