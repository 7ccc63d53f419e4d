// TLSRoute, TCPRoute and UDPRoute. v1 (standard in v1.6) allows exactly one rule and requires
// TLSRoute hostnames; the deprecated v1alpha2 (experimental channel) allows up to 16 rules.

import { isIP } from 'node:net';
import {
  backendObjectRefProps,
  DNS_SUBDOMAIN,
  hostnameS,
  parentRefsS,
  requireServicePort,
  ruleNameS,
  uniqueRuleNames,
  weightS,
} from './common.ts';
import { arr, celError, type FieldIssue, obj, type ObjectSchema, str } from './schema.ts';

const ruleS = obj(
  {
    name: ruleNameS,
    backendRefs: arr(
      obj({ ...backendObjectRefProps, weight: weightS }, { required: ['name'], rules: [requireServicePort] }),
      {
        minItems: 1,
        maxItems: 16,
      },
    ),
  },
  { required: ['backendRefs'] },
);

const rulesV1 = arr(ruleS, { minItems: 1, maxItems: 1 });
const rulesV1alpha2 = arr(ruleS, { minItems: 1, maxItems: 16, rules: [uniqueRuleNames] });
const useDefaultGateways = str({ enum: ['All', 'None'] });

const RFC1123 = new RegExp(DNS_SUBDOMAIN);
function tlsHostnameRules(hs: string[], path: string, out: FieldIssue[]): void {
  if (!hs.every((h) => isIP(h) === 0)) celError(out, path, hs, 'Hostnames cannot contain an IP');
  if (!hs.every((h) => h.includes('*') || RFC1123.test(h)))
    celError(out, path, hs, 'Hostnames must be valid based on RFC-1123');
  if (!hs.every((h) => !h.includes('*') || (h.startsWith('*.') && RFC1123.test(h.slice(2))))) {
    celError(
      out,
      path,
      hs,
      'Wildcards on hostnames must be the first label, and the rest of hostname must be valid based on RFC-1123',
    );
  }
}

export function tlsRouteSpecS(version: string): ObjectSchema {
  if (version === 'v1alpha2') {
    return obj(
      {
        parentRefs: parentRefsS,
        hostnames: arr(hostnameS, { maxItems: 1024 }),
        rules: rulesV1alpha2,
        useDefaultGateways,
      },
      { required: ['rules'] },
    );
  }
  return obj(
    {
      parentRefs: parentRefsS,
      hostnames: arr(hostnameS, { minItems: 1, maxItems: 1024, rules: [tlsHostnameRules] }),
      rules: rulesV1,
      useDefaultGateways,
    },
    { required: ['hostnames', 'rules'] },
  );
}

/** TCPRoute and UDPRoute share a schema. */
export function l4RouteSpecS(version: string): ObjectSchema {
  return obj(
    { parentRefs: parentRefsS, rules: version === 'v1alpha2' ? rulesV1alpha2 : rulesV1, useDefaultGateways },
    { required: ['rules'] },
  );
}
