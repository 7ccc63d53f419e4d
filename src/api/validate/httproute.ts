// HTTPRoute (gateway.networking.k8s.io v1 and v1beta1 share one schema in v1.6).

import {
  backendObjectRefProps,
  backendObjectRefS,
  durationS,
  filterUnionRule,
  headerModifierS,
  headerNameS,
  headerValueS,
  hostnamesS,
  localObjectRefS,
  mirrorFilterS,
  noRepeatedFilters,
  PATH_CHARS,
  parentRefsS,
  parseDuration,
  preciseHostnameS,
  requireServicePort,
  ruleNameS,
  sessionPersistenceS,
  uniqueRuleNames,
  weightS,
} from './common.ts';
import { arr, bool, celError, type FieldIssue, int, isObj, type Obj, obj, str } from './schema.ts';

const pathModifierS = obj(
  {
    type: str({ enum: ['ReplaceFullPath', 'ReplacePrefixMatch'] }),
    replaceFullPath: str({ maxLength: 1024 }),
    replacePrefixMatch: str({ maxLength: 1024 }),
  },
  {
    required: ['type'],
    rules: [
      (v: Obj, path: string, out: FieldIssue[]) => {
        for (const t of ['ReplaceFullPath', 'ReplacePrefixMatch']) {
          const field = t === 'ReplaceFullPath' ? 'replaceFullPath' : 'replacePrefixMatch';
          if (v.type === t && v[field] === undefined)
            celError(out, path, v, `${field} must be specified when type is set to '${t}'`);
          if (v[field] !== undefined && v.type !== t)
            celError(out, `${path}.type`, v, `type must be '${t}' when ${field} is set`);
        }
      },
    ],
  },
);

const TOKEN = "^[A-Za-z0-9!#$%&'*+\\-.^_\\x60|~]+$";
const ORIGIN = '(^\\*$)|(^(http(s)?):\\/\\/(((\\*\\.)?([a-zA-Z0-9\\-]+\\.)*[a-zA-Z0-9-]+|\\*)(:([0-9]{1,5}))?)$)';
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH'];

function noStarWithOthers(message: string) {
  return (list: string[], path: string, out: FieldIssue[]): void => {
    if (list.includes('*') && list.length > 1) celError(out, path, list, message);
  };
}

const corsS = obj({
  allowOrigins: arr(str({ pattern: ORIGIN, minLength: 1, maxLength: 253 }), {
    maxItems: 64,
    listType: 'set',
    rules: [noStarWithOthers("AllowOrigins cannot contain '*' alongside other origins")],
  }),
  allowCredentials: bool(),
  allowMethods: arr(str({ enum: [...METHODS, '*'] }), {
    maxItems: 9,
    listType: 'set',
    rules: [noStarWithOthers("AllowMethods cannot contain '*' alongside other methods")],
  }),
  allowHeaders: arr(str({ pattern: TOKEN, minLength: 1, maxLength: 256 }), {
    maxItems: 64,
    listType: 'set',
    rules: [noStarWithOthers("AllowHeaders cannot contain '*' alongside other methods")],
  }),
  exposeHeaders: arr(str({ pattern: TOKEN, minLength: 1, maxLength: 256 }), { maxItems: 64, listType: 'set' }),
  maxAge: int({ minimum: 1 }),
});

const headerList = () => arr(str(), { maxItems: 64, listType: 'set' });
const externalAuthS = obj(
  {
    protocol: str({ enum: ['HTTP', 'GRPC'] }),
    backendRef: backendObjectRefS,
    grpc: obj({ allowedHeaders: headerList() }),
    http: obj({
      path: str({ pattern: PATH_CHARS, maxLength: 1024 }),
      allowedHeaders: headerList(),
      allowedResponseHeaders: headerList(),
    }),
    forwardBody: obj({ maxSize: int() }),
  },
  {
    required: ['backendRef', 'protocol'],
    rules: [
      (v: Obj, path: string, out: FieldIssue[]) => {
        for (const p of ['GRPC', 'HTTP']) {
          const field = p.toLowerCase();
          if (v.protocol === p && v[field] === undefined)
            celError(out, path, v, `${field} must be specified when protocol is set to '${p}'`);
          if (v[field] !== undefined && v.protocol !== p)
            celError(out, `${path}.protocol`, v, `protocol must be '${p}' when ${field} is set`);
        }
      },
    ],
  },
);

const httpFilterS = obj(
  {
    type: str({
      enum: [
        'RequestHeaderModifier',
        'ResponseHeaderModifier',
        'RequestMirror',
        'RequestRedirect',
        'URLRewrite',
        'ExtensionRef',
        'CORS',
        'ExternalAuth',
      ],
    }),
    requestHeaderModifier: headerModifierS,
    responseHeaderModifier: headerModifierS,
    requestMirror: mirrorFilterS,
    requestRedirect: obj({
      scheme: str({ enum: ['http', 'https'] }),
      hostname: preciseHostnameS,
      path: pathModifierS,
      port: int({ minimum: 1, maximum: 65535 }),
      statusCode: int({ enum: [301, 302, 303, 307, 308] }),
    }),
    urlRewrite: obj({ hostname: preciseHostnameS, path: pathModifierS }),
    extensionRef: localObjectRefS,
    cors: corsS,
    externalAuth: externalAuthS,
  },
  {
    required: ['type'],
    rules: [
      filterUnionRule({
        cors: 'CORS',
        requestHeaderModifier: 'RequestHeaderModifier',
        responseHeaderModifier: 'ResponseHeaderModifier',
        requestMirror: 'RequestMirror',
        requestRedirect: 'RequestRedirect',
        urlRewrite: 'URLRewrite',
        extensionRef: 'ExtensionRef',
        externalAuth: 'ExternalAuth',
      }),
    ],
  },
);

function redirectXorRewrite(filters: Obj[], path: string, out: FieldIssue[]): void {
  const r = filters.findIndex((f) => f.type === 'RequestRedirect');
  const w = filters.findIndex((f) => f.type === 'URLRewrite');
  if (r >= 0 && w >= 0) {
    celError(
      out,
      `${path}[${Math.max(r, w)}]`,
      filters,
      'May specify either httpRouteFilterRequestRedirect or httpRouteFilterRequestRewrite, but not both',
    );
  }
}

const httpFiltersS = arr(httpFilterS, {
  maxItems: 16,
  rules: [
    redirectXorRewrite,
    noRepeatedFilters(['CORS', 'RequestHeaderModifier', 'ResponseHeaderModifier', 'RequestRedirect', 'URLRewrite']),
  ],
});

const pathMatchS = obj(
  { type: str({ enum: ['Exact', 'PathPrefix', 'RegularExpression'] }), value: str({ maxLength: 1024 }) },
  {
    rules: [
      (v: Obj, path: string, out: FieldIssue[]) => {
        if (v.type !== 'Exact' && v.type !== 'PathPrefix') return;
        const value = typeof v.value === 'string' ? v.value : '';
        const at = `${path}.value`;
        const when = "when type one of ['Exact', 'PathPrefix']";
        if (!value.startsWith('/')) celError(out, at, v, `value must be an absolute path and start with '/' ${when}`);
        for (const bad of ['//', '/./', '/../', '%2f', '%2F', '#']) {
          if (value.includes(bad)) celError(out, at, v, `must not contain '${bad}' ${when}`);
        }
        if (value.endsWith('/..')) celError(out, at, v, `must not end with '/..' ${when}`);
        if (value.endsWith('/.')) celError(out, at, v, `must not end with '/.' ${when}`);
        if (!new RegExp(PATH_CHARS).test(value)) {
          celError(
            out,
            at,
            v,
            `must only contain valid characters (matching ${PATH_CHARS}) for types ['Exact', 'PathPrefix']`,
          );
        }
      },
    ],
  },
);

const matchTypeS = str({ enum: ['Exact', 'RegularExpression'] });
const matchS = obj({
  path: pathMatchS,
  headers: arr(obj({ name: headerNameS, type: matchTypeS, value: headerValueS }, { required: ['name', 'value'] }), {
    maxItems: 16,
    listType: 'map',
    mapKeys: ['name'],
  }),
  queryParams: arr(
    obj(
      { name: headerNameS, type: matchTypeS, value: str({ minLength: 1, maxLength: 1024 }) },
      { required: ['name', 'value'] },
    ),
    { maxItems: 16, listType: 'map', mapKeys: ['name'] },
  ),
  method: str({ enum: METHODS }),
});

const backendRefS = obj(
  { ...backendObjectRefProps, weight: weightS, filters: httpFiltersS },
  { required: ['name'], rules: [requireServicePort] },
);

const timeoutsS = obj(
  { request: durationS, backendRequest: durationS },
  {
    rules: [
      (v: Obj, path: string, out: FieldIssue[]) => {
        if (typeof v.request !== 'string' || typeof v.backendRequest !== 'string') return;
        const req = parseDuration(v.request);
        const be = parseDuration(v.backendRequest);
        if (req !== undefined && be !== undefined && req !== 0 && be > req) {
          celError(out, `${path}.backendRequest`, v, 'backendRequest timeout cannot be longer than request timeout');
        }
      },
    ],
  },
);

const retryS = obj({
  codes: arr(int({ minimum: 400, maximum: 599 }), { listType: 'set' }),
  attempts: int({ minimum: 1 }),
  backoff: durationS,
});

/** Index of the filter in `filters` that uses `<kind>.path.type: ReplacePrefixMatch`, or -1. */
function prefixReplacing(filters: unknown, kind: 'requestRedirect' | 'urlRewrite'): number[] {
  if (!Array.isArray(filters)) return [];
  const hits: number[] = [];
  filters.forEach((f, i) => {
    const spec = isObj(f) ? f[kind] : undefined;
    const p = isObj(spec) ? spec.path : undefined;
    if (isObj(p) && p.type === 'ReplacePrefixMatch' && p.replacePrefixMatch !== undefined) hits.push(i);
  });
  return hits;
}

function onePrefixMatch(rule: Obj): boolean {
  const m = Array.isArray(rule.matches) ? rule.matches : [];
  const p = isObj(m[0]) ? m[0].path : undefined;
  return m.length === 1 && isObj(p) && p.type === 'PathPrefix';
}

function ruleRules(rule: Obj, path: string, out: FieldIssue[]): void {
  const filters = Array.isArray(rule.filters) ? (rule.filters as Obj[]) : [];
  const backends = Array.isArray(rule.backendRefs) ? (rule.backendRefs as Obj[]) : [];
  if (backends.length > 0) {
    const i = filters.findIndex((f) => f.requestRedirect !== undefined);
    if (i >= 0)
      celError(out, `${path}.filters[${i}]`, rule, 'RequestRedirect filter must not be used together with backendRefs');
  }
  const single = onePrefixMatch(rule);
  for (const [kind, name] of [
    ['requestRedirect', 'RequestRedirect'],
    ['urlRewrite', 'URLRewrite'],
  ] as const) {
    // CEL exists_one: the rule only applies when exactly one filter (or backendRef) does this.
    const hits = prefixReplacing(rule.filters, kind);
    if (hits.length === 1 && !single) {
      celError(
        out,
        `${path}.filters[${hits[0]}].${kind}.path`,
        rule,
        `When using ${name} filter with path.replacePrefixMatch, exactly one PathPrefix match must be specified`,
      );
    }
    const inBackends = backends
      .map((b, i) => (prefixReplacing(b.filters, kind).length === 1 ? i : -1))
      .filter((i) => i >= 0);
    if (inBackends.length === 1 && !single) {
      const b = inBackends[0]!;
      const f = prefixReplacing(backends[b]!.filters, kind)[0];
      const within = kind === 'urlRewrite' ? 'Within backendRefs, When' : 'Within backendRefs, when';
      celError(
        out,
        `${path}.backendRefs[${b}].filters[${f}].${kind}.path`,
        rule,
        `${within} using ${name} filter with path.replacePrefixMatch, exactly one PathPrefix match must be specified`,
      );
    }
  }
}

const ruleS = obj(
  {
    name: ruleNameS,
    matches: arr(matchS, { maxItems: 64 }),
    filters: httpFiltersS,
    backendRefs: arr(backendRefS, { maxItems: 16 }),
    timeouts: timeoutsS,
    retry: retryS,
    sessionPersistence: sessionPersistenceS,
  },
  { rules: [ruleRules] },
);

function totalMatches(rules: Obj[], path: string, out: FieldIssue[]): void {
  const total = rules.reduce((n, r) => n + (Array.isArray(r.matches) ? r.matches.length : 0), 0);
  if (total > 128) {
    celError(
      out,
      path,
      rules,
      'While 16 rules and 64 matches per rule are allowed, the total number of matches across all rules in a route must be less than 128',
    );
  }
}

export const httpRouteSpecS = obj({
  parentRefs: parentRefsS,
  hostnames: hostnamesS(16),
  rules: arr(ruleS, { minItems: 1, maxItems: 16, rules: [totalMatches, uniqueRuleNames] }),
  useDefaultGateways: str({ enum: ['All', 'None'] }),
});

export { totalMatches };
