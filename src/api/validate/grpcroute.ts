// GRPCRoute (gateway.networking.k8s.io v1).

import {
  backendObjectRefProps,
  filterUnionRule,
  headerModifierS,
  headerNameS,
  hostnamesS,
  localObjectRefS,
  mirrorFilterS,
  noRepeatedFilters,
  parentRefsS,
  requireServicePort,
  ruleNameS,
  sessionPersistenceS,
  uniqueRuleNames,
  weightS,
} from './common.ts';
import { totalMatches } from './httproute.ts';
import { arr, celError, type FieldIssue, type Obj, obj, str } from './schema.ts';

const SERVICE_RE = /^\.?[a-z_][a-z_0-9]*(\.[a-z_][a-z_0-9]*)*$/i;
const METHOD_RE = /^[A-Za-z_][A-Za-z_0-9]*$/;

const methodMatchS = obj(
  {
    type: str({ enum: ['Exact', 'RegularExpression'] }),
    service: str({ maxLength: 1024 }),
    method: str({ maxLength: 1024 }),
  },
  {
    rules: [
      (v: Obj, path: string, out: FieldIssue[]) => {
        if (v.type !== undefined && v.service === undefined && v.method === undefined) {
          celError(out, path, v, "One or both of 'service' or 'method' must be specified");
        }
        const exact = v.type === undefined || v.type === 'Exact';
        if (exact && typeof v.service === 'string' && !SERVICE_RE.test(v.service)) {
          celError(
            out,
            `${path}.service`,
            v,
            'service must only contain valid characters (matching ^(?i)\\.?[a-z_][a-z_0-9]*(\\.[a-z_][a-z_0-9]*)*$)',
          );
        }
        if (exact && typeof v.method === 'string' && !METHOD_RE.test(v.method)) {
          celError(
            out,
            `${path}.method`,
            v,
            'method must only contain valid characters (matching ^[A-Za-z_][A-Za-z_0-9]*$)',
          );
        }
      },
    ],
  },
);

const matchS = obj({
  method: methodMatchS,
  headers: arr(
    obj(
      {
        name: headerNameS,
        type: str({ enum: ['Exact', 'RegularExpression'] }),
        value: str({ minLength: 1, maxLength: 4096 }),
      },
      { required: ['name', 'value'] },
    ),
    { maxItems: 16, listType: 'map', mapKeys: ['name'] },
  ),
});

const filterS = obj(
  {
    type: str({ enum: ['ResponseHeaderModifier', 'RequestHeaderModifier', 'RequestMirror', 'ExtensionRef'] }),
    requestHeaderModifier: headerModifierS,
    responseHeaderModifier: headerModifierS,
    requestMirror: mirrorFilterS,
    extensionRef: localObjectRefS,
  },
  {
    required: ['type'],
    rules: [
      filterUnionRule({
        requestHeaderModifier: 'RequestHeaderModifier',
        responseHeaderModifier: 'ResponseHeaderModifier',
        requestMirror: 'RequestMirror',
        extensionRef: 'ExtensionRef',
      }),
    ],
  },
);
const filtersS = arr(filterS, {
  maxItems: 16,
  rules: [noRepeatedFilters(['RequestHeaderModifier', 'ResponseHeaderModifier'])],
});

const ruleS = obj({
  name: ruleNameS,
  matches: arr(matchS, { maxItems: 64 }),
  filters: filtersS,
  backendRefs: arr(
    obj(
      { ...backendObjectRefProps, weight: weightS, filters: filtersS },
      { required: ['name'], rules: [requireServicePort] },
    ),
    { maxItems: 16 },
  ),
  sessionPersistence: sessionPersistenceS,
});

export const grpcRouteSpecS = obj({
  parentRefs: parentRefsS,
  hostnames: hostnamesS(16),
  rules: arr(ruleS, { maxItems: 16, rules: [totalMatches, uniqueRuleNames] }),
  useDefaultGateways: str({ enum: ['All', 'None'] }),
});
