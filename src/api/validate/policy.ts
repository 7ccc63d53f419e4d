// ReferenceGrant and BackendTLSPolicy.

import {
  groupS,
  kindS,
  localObjectRefS,
  nameS,
  namespaceS,
  preciseHostnameS,
  sectionNameS,
  stringMapS,
  WILDCARD_HOSTNAME,
} from './common.ts';
import { arr, celError, type FieldIssue, type Obj, obj, str } from './schema.ts';

export const referenceGrantSpecS = obj(
  {
    from: arr(
      obj({ group: groupS, kind: kindS, namespace: namespaceS }, { required: ['group', 'kind', 'namespace'] }),
      {
        minItems: 1,
        maxItems: 16,
      },
    ),
    to: arr(obj({ group: groupS, kind: kindS, name: nameS }, { required: ['group', 'kind'] }), {
      minItems: 1,
      maxItems: 16,
    }),
  },
  { required: ['from', 'to'] },
);

const empty = (v: unknown): boolean => v === undefined || v === '';

function targetRefRules(refs: Obj[], path: string, out: FieldIssue[]): void {
  let specified = false;
  let unique = false;
  refs.forEach((p2, j) => {
    for (let i = 0; i < j; i++) {
      const p1 = refs[i]!;
      if (p1.group !== p2.group || p1.kind !== p2.kind || p1.name !== p2.name) continue;
      if (!specified && empty(p1.sectionName) !== empty(p2.sectionName)) {
        specified = true;
        celError(
          out,
          `${path}[${j}]`,
          refs,
          'sectionName must be specified when targetRefs includes 2 or more references to the same target',
        );
      }
      if (!unique && (empty(p1.sectionName) ? empty(p2.sectionName) : p1.sectionName === p2.sectionName)) {
        unique = true;
        celError(
          out,
          `${path}[${j}]`,
          refs,
          'sectionName must be unique when targetRefs includes 2 or more references to the same target',
        );
      }
    }
  });
}

const WELL_KNOWN =
  '^(System|([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9]))$';
export const wellKnownS = str({ pattern: WELL_KNOWN, minLength: 1, maxLength: 253 });

function sanRules(v: Obj, path: string, out: FieldIssue[]): void {
  const has = (f: string) => v[f] !== undefined && v[f] !== '';
  if (v.type === 'Hostname' && !has('hostname'))
    celError(out, path, v, 'SubjectAltName element must contain Hostname, if Type is set to Hostname');
  if (v.type !== 'Hostname' && has('hostname'))
    celError(out, path, v, 'SubjectAltName element must not contain Hostname, if Type is not set to Hostname');
  if (v.type === 'URI' && !has('uri'))
    celError(out, path, v, 'SubjectAltName element must contain URI, if Type is set to URI');
  if (v.type !== 'URI' && has('uri'))
    celError(out, path, v, 'SubjectAltName element must not contain URI, if Type is not set to URI');
}

/** The pair of CEL rules on a CA choice (BackendTLSPolicy validation, Envoy Gateway Backend tls). */
export function caChoice(required: boolean) {
  return (v: Obj, path: string, out: FieldIssue[]): void => {
    const refs = Array.isArray(v.caCertificateRefs) && v.caCertificateRefs.length > 0;
    const wk = typeof v.wellKnownCACertificates === 'string' && v.wellKnownCACertificates !== '';
    if (refs && wk) celError(out, path, v, 'must not contain both CACertificateRefs and WellKnownCACertificates');
    if (required && !refs && !wk)
      celError(out, path, v, 'must specify either CACertificateRefs or WellKnownCACertificates');
  };
}

export const backendTLSPolicySpecS = obj(
  {
    targetRefs: arr(
      obj(
        { group: groupS, kind: kindS, name: nameS, sectionName: sectionNameS },
        { required: ['group', 'kind', 'name'] },
      ),
      {
        minItems: 1,
        maxItems: 16,
        rules: [targetRefRules],
      },
    ),
    validation: obj(
      {
        caCertificateRefs: arr(localObjectRefS, { maxItems: 8 }),
        wellKnownCACertificates: wellKnownS,
        hostname: preciseHostnameS,
        subjectAltNames: arr(
          obj(
            {
              type: str({ enum: ['Hostname', 'URI'] }),
              hostname: str({ pattern: WILDCARD_HOSTNAME, minLength: 1, maxLength: 253 }),
              uri: str({
                pattern: '^(([^:/?#]+):)(//([^/?#]*))([^?#]*)(\\?([^#]*))?(#(.*))?',
                minLength: 1,
                maxLength: 253,
              }),
            },
            { required: ['type'], rules: [sanRules] },
          ),
          { maxItems: 5 },
        ),
      },
      { required: ['hostname'], rules: [caChoice(true)] },
    ),
    options: stringMapS(16),
  },
  { required: ['targetRefs', 'validation'] },
);
