// Envoy Gateway Backend (gateway.envoyproxy.io v1alpha1): the fields Portunus reads, with the
// CRD's rules. Fields beyond those (TLS versions, ciphers, ...) are accepted without checks.

import { DNS_SUBDOMAIN, localObjectRefS, secretObjectRefS } from './common.ts';
import { caChoice, wellKnownS } from './policy.ts';
import { arr, bool, celError, type FieldIssue, int, isObj, type Obj, obj, str } from './schema.ts';

const IP =
  '^((25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?)\\.){3}(25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?)$|^(([0-9a-fA-F]{1,4}:){1,7}[0-9a-fA-F]{1,4}|::|(([0-9a-fA-F]{1,4}:){0,5})?(:[0-9a-fA-F]{1,4}){1,2})$';

const endpointS = obj(
  {
    fqdn: obj(
      {
        hostname: str({
          pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\\.?$',
          minLength: 1,
          maxLength: 253,
        }),
        port: int({ minimum: 0, maximum: 65535 }),
      },
      { required: ['hostname', 'port'] },
    ),
    ip: obj(
      { address: str({ pattern: IP, minLength: 3, maxLength: 45 }), port: int({ minimum: 0, maximum: 65535 }) },
      { required: ['address', 'port'] },
    ),
    unix: obj(
      {
        path: str({
          rules: [
            (p: string, path: string, out: FieldIssue[]) => {
              if (Buffer.byteLength(p) > 108)
                celError(out, path, p, 'unix domain socket path must not exceed 108 characters');
            },
          ],
        }),
      },
      { required: ['path'] },
    ),
    hostname: str({ pattern: DNS_SUBDOMAIN, minLength: 1, maxLength: 253 }),
    zone: str(),
  },
  {
    rules: [
      (v: Obj, path: string, out: FieldIssue[]) => {
        const n = ['fqdn', 'ip', 'unix'].filter((k) => v[k] !== undefined).length;
        if (n === 0) celError(out, path, v, 'one of fqdn, ip or unix must be specified');
        if (n > 1) celError(out, path, v, 'only one of fqdn, ip or unix can be specified');
      },
    ],
  },
);

export const backendSpecS = obj(
  {
    type: str({ enum: ['Endpoints', 'DynamicResolver'] }),
    endpoints: arr(endpointS, {
      minItems: 1,
      maxItems: 256,
      rules: [
        (eps: Obj[], path: string, out: FieldIssue[]) => {
          const fqdn = eps.filter((e) => e.fqdn !== undefined).length;
          if (fqdn > 0 && fqdn < eps.length)
            celError(out, path, eps, 'fqdn addresses cannot be mixed with other address types');
        },
      ],
    }),
    appProtocols: arr(
      str({ enum: ['gateway.envoyproxy.io/h2c', 'gateway.envoyproxy.io/ws', 'gateway.envoyproxy.io/wss'] }),
    ),
    fallback: bool(),
    tls: obj(
      {
        caCertificateRefs: arr(localObjectRefS, { maxItems: 8 }),
        wellKnownCACertificates: wellKnownS,
        insecureSkipVerify: bool(),
        sni: str({ pattern: DNS_SUBDOMAIN, minLength: 1, maxLength: 253 }),
        autoSNIFromEndpointHostname: bool(),
        clientCertificateRef: secretObjectRefS,
        minVersion: str({ enum: ['Auto', '1.0', '1.1', '1.2', '1.3'] }),
        maxVersion: str({ enum: ['Auto', '1.0', '1.1', '1.2', '1.3'] }),
        alpnProtocols: arr(str()),
        ciphers: arr(str()),
        ecdhCurves: arr(str()),
        signatureAlgorithms: arr(str()),
        fingerprints: arr(str({ enum: ['JA3', 'JA4'] })),
      },
      {
        rules: [
          caChoice(false),
          (v: Obj, path: string, out: FieldIssue[]) => {
            const refs = Array.isArray(v.caCertificateRefs) && v.caCertificateRefs.length > 0;
            const wk = typeof v.wellKnownCACertificates === 'string' && v.wellKnownCACertificates !== '';
            if (v.insecureSkipVerify === true && (refs || wk)) {
              celError(
                out,
                path,
                v,
                'must not contain either CACertificateRefs or WellKnownCACertificates when InsecureSkipVerify is enabled',
              );
            }
            if (v.sni !== undefined && v.autoSNIFromEndpointHostname === true) {
              celError(out, path, v, 'sni and autoSNIFromEndpointHostname are mutually exclusive');
            }
          },
        ],
      },
    ),
  },
  {
    open: true,
    rules: [
      (v: Obj, path: string, out: FieldIssue[]) => {
        if (v.type === 'DynamicResolver' && v.endpoints !== undefined) {
          celError(out, path, v, 'DynamicResolver type cannot have endpoints specified');
        }
        const tls = isObj(v.tls) ? v.tls : undefined;
        if (tls?.autoSNIFromEndpointHostname === true) {
          if (v.type === 'DynamicResolver')
            celError(out, path, v, 'DynamicResolver type cannot use autoSNIFromEndpointHostname');
          const eps = Array.isArray(v.endpoints) ? (v.endpoints as Obj[]) : [];
          if (!eps.every((e) => (e.ip === undefined && e.unix === undefined) || e.hostname !== undefined)) {
            celError(
              out,
              path,
              v,
              'when autoSNIFromEndpointHostname is enabled, IP and Unix endpoints must define a hostname',
            );
          }
        }
      },
    ],
  },
);
