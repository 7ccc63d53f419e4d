// Field shapes shared by the Gateway API CRDs (v1.6): names, references, hostnames, durations,
// header names, label selectors. Patterns are copied from the CRDs so messages quote them exactly.

import {
  arr,
  celError,
  type FieldIssue,
  int,
  isObj,
  map,
  type Obj,
  obj,
  type Schema,
  str,
  withRules,
} from './schema.ts';

export const DNS_SUBDOMAIN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';
export const WILDCARD_HOSTNAME = '^(\\*\\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';
export const GROUP = '^$|^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';
export const KIND = '^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$';
export const NAMESPACE = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
export const HEADER_NAME = "^[A-Za-z0-9!#$%&'*+\\-.^_\\x60|~]+$";
/** The CRD spells it `^[!-~]+([\t ]?[!-~]+)*$`, which backtracks exponentially in JS; this is the same language. */
export const HEADER_VALUE = '^[!-~]+([\\t ]?[!-~]+)*$';
const HEADER_VALUE_RE = /^[!-~]+(?:[\t ][!-~]+)*$/;
export const DURATION = '^([0-9]{1,5}(h|m|s|ms)){1,4}$';
export const PATH_CHARS = "^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|[%][0-9a-fA-F]{2})+$";

export const groupS = str({ pattern: GROUP, maxLength: 253 });
export const kindS = str({ pattern: KIND, minLength: 1, maxLength: 63 });
export const nameS = str({ minLength: 1, maxLength: 253 });
export const namespaceS = str({ pattern: NAMESPACE, minLength: 1, maxLength: 63 });
export const sectionNameS = str({ pattern: DNS_SUBDOMAIN, minLength: 1, maxLength: 253 });
export const portS = int({ minimum: 1, maximum: 65535 });
export const hostnameS = str({ pattern: WILDCARD_HOSTNAME, minLength: 1, maxLength: 253 });
export const preciseHostnameS = str({ pattern: DNS_SUBDOMAIN, minLength: 1, maxLength: 253 });
export const durationS = str({ pattern: DURATION });
export const headerNameS = str({ pattern: HEADER_NAME, minLength: 1, maxLength: 256 });
export const headerValueS = str({ pattern: HEADER_VALUE, re: HEADER_VALUE_RE, minLength: 1, maxLength: 4096 });
export const ruleNameS = str({ pattern: DNS_SUBDOMAIN, minLength: 1, maxLength: 253 });
export const stringMapS = (max: number) => map(str({ minLength: 0, maxLength: 4096 }), { maxProperties: max });

export const labelSelectorS = obj({
  matchLabels: map(str()),
  matchExpressions: arr(obj({ key: str(), operator: str(), values: arr(str()) }, { required: ['key', 'operator'] })),
});

export const localObjectRefS = obj(
  { group: groupS, kind: kindS, name: nameS },
  { required: ['group', 'kind', 'name'] },
);
export const objectRefS = obj(
  { group: groupS, kind: kindS, name: nameS, namespace: namespaceS },
  { required: ['group', 'kind', 'name'] },
);
export const secretObjectRefS = obj(
  { group: groupS, kind: kindS, name: nameS, namespace: namespaceS },
  { required: ['name'] },
);

/** BackendObjectReference: a Service (core group) needs a port. */
export const backendObjectRefProps: Record<string, Schema> = {
  group: groupS,
  kind: kindS,
  name: nameS,
  namespace: namespaceS,
  port: portS,
};
export function requireServicePort(v: Obj, path: string, out: FieldIssue[]): void {
  const group = typeof v.group === 'string' ? v.group : '';
  if (group === '' && v.kind === 'Service' && v.port === undefined) {
    celError(out, path, v, 'Must have port for Service reference');
  }
}
export const backendObjectRefS = obj(backendObjectRefProps, { required: ['name'], rules: [requireServicePort] });
export const weightS = int({ minimum: 0, maximum: 1000000 });

// ---------- parentRefs (routes) ----------

export const parentRefS = obj(
  {
    group: groupS,
    kind: kindS,
    namespace: namespaceS,
    name: nameS,
    sectionName: sectionNameS,
    port: portS,
  },
  { required: ['name'] },
);

const empty = (v: unknown): boolean => v === undefined || v === '' || v === 0;
const sameParent = (a: Obj, b: Obj): boolean =>
  a.group === b.group &&
  a.kind === b.kind &&
  a.name === b.name &&
  (empty(a.namespace) ? empty(b.namespace) : a.namespace === b.namespace);
const same = (a: unknown, b: unknown): boolean => (empty(a) ? empty(b) : a === b);

/**
 * The two CEL rules on route parentRefs. The API server reports them on the list; the first
 * offending element is named here so the message points at the line to change.
 */
function parentRefRules(refs: Obj[], path: string, out: FieldIssue[]): void {
  let specified = false;
  let unique = false;
  refs.forEach((p2, j) => {
    for (let i = 0; i < j; i++) {
      const p1 = refs[i]!;
      if (!sameParent(p1, p2)) continue;
      if (!specified && (empty(p1.sectionName) !== empty(p2.sectionName) || empty(p1.port) !== empty(p2.port))) {
        specified = true;
        celError(
          out,
          `${path}[${j}]`,
          refs,
          'sectionName or port must be specified when parentRefs includes 2 or more references to the same parent',
        );
      }
      if (!unique && same(p1.sectionName, p2.sectionName) && same(p1.port, p2.port)) {
        unique = true;
        celError(
          out,
          `${path}[${j}]`,
          refs,
          'sectionName or port must be unique when parentRefs includes 2 or more references to the same parent',
        );
      }
    }
  });
}
export const parentRefsS = arr(parentRefS, { maxItems: 32, rules: [parentRefRules] });

export const hostnamesS = (maxItems: number) => arr(hostnameS, { maxItems });

/** "Rule name must be unique within the route" (CEL on spec.rules). */
export function uniqueRuleNames(rules: Obj[], path: string, out: FieldIssue[]): void {
  const seen = new Set<string>();
  rules.forEach((r, i) => {
    if (typeof r.name !== 'string') return;
    if (seen.has(r.name)) celError(out, `${path}[${i}].name`, rules, 'Rule name must be unique within the route');
    seen.add(r.name);
  });
}

// ---------- session persistence (HTTPRoute, GRPCRoute) ----------

export const sessionPersistenceS = obj(
  {
    sessionName: str({ maxLength: 128 }),
    absoluteTimeout: durationS,
    idleTimeout: durationS,
    type: str({ enum: ['Cookie', 'Header'] }),
    cookieConfig: obj({ lifetimeType: str({ enum: ['Permanent', 'Session'] }) }),
  },
  {
    rules: [
      (v: Obj, path: string, out: FieldIssue[]) => {
        const cc = isObj(v.cookieConfig) ? v.cookieConfig : undefined;
        if (cc?.lifetimeType === 'Permanent' && v.absoluteTimeout === undefined) {
          celError(out, path, v, 'AbsoluteTimeout must be specified when cookie lifetimeType is Permanent');
        }
        if (cc && v.type !== 'Cookie') celError(out, path, v, 'cookieConfig can only be set with type Cookie');
      },
    ],
  },
);

// ---------- durations (Gateway API Duration: 1-4 groups of <=5 digits with h/m/s/ms) ----------

const UNIT_MS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };

/** Milliseconds of a Gateway API duration string; undefined when it does not match DURATION. */
export function parseDuration(s: string): number | undefined {
  if (!new RegExp(DURATION).test(s)) return undefined;
  let total = 0;
  for (const m of s.matchAll(/([0-9]{1,5})(ms|h|m|s)/g)) total += Number(m[1]) * UNIT_MS[m[2]!]!;
  return total;
}

// ---------- header modifiers (HTTPRoute, GRPCRoute filters) ----------

const headerS = obj({ name: headerNameS, value: headerValueS }, { required: ['name', 'value'] });
export const headerModifierS = obj({
  set: arr(headerS, { maxItems: 16, listType: 'map', mapKeys: ['name'] }),
  add: arr(headerS, { maxItems: 16, listType: 'map', mapKeys: ['name'] }),
  remove: arr(str(), { maxItems: 16, listType: 'set' }),
});

export const mirrorFilterS = obj(
  {
    backendRef: backendObjectRefS,
    percent: int({ minimum: 0, maximum: 100 }),
    fraction: obj(
      { numerator: int({ minimum: 0 }), denominator: int({ minimum: 1 }) },
      {
        required: ['numerator'],
        rules: [
          (v: Obj, path: string, out: FieldIssue[]) => {
            const den = typeof v.denominator === 'number' ? v.denominator : 100;
            if ((v.numerator as number) > den)
              celError(out, path, v, 'numerator must be less than or equal to denominator');
          },
        ],
      },
    ),
  },
  {
    required: ['backendRef'],
    rules: [
      (v: Obj, path: string, out: FieldIssue[]) => {
        if (v.percent !== undefined && v.fraction !== undefined) {
          celError(out, path, v, 'Only one of percent or fraction may be specified in HTTPRequestMirrorFilter');
        }
      },
    ],
  },
);

/**
 * The CEL pair every filter union carries: `filter.<field> must be nil if the filter.type is not
 * <Type>` and `filter.<field> must be specified for <Type> filter.type`.
 */
export function filterUnionRule(fields: Record<string, string>) {
  return (v: Obj, path: string, out: FieldIssue[]): void => {
    for (const [field, type] of Object.entries(fields)) {
      const has = v[field] !== undefined && v[field] !== null;
      if (has && v.type !== type)
        celError(out, `${path}.${field}`, v, `filter.${field} must be nil if the filter.type is not ${type}`);
      if (!has && v.type === type) celError(out, path, v, `filter.${field} must be specified for ${type} filter.type`);
    }
  };
}

/** `<Type> filter cannot be repeated` for each listed type. */
export function noRepeatedFilters(types: readonly string[]) {
  return (filters: Obj[], path: string, out: FieldIssue[]): void => {
    for (const t of types) {
      const idx = filters.map((f, i) => (f.type === t ? i : -1)).filter((i) => i >= 0);
      if (idx.length > 1) celError(out, `${path}[${idx[1]}]`, filters, `${t} filter cannot be repeated`);
    }
  };
}

export { withRules };
