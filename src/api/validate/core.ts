// Core kinds Portunus reads (Namespace, Service, Secret, ConfigMap, discovery.k8s.io
// EndpointSlice): the parts of the API server's validation that matter for routing. The rest of
// these objects is accepted as written.

import { arr, bool, type FieldIssue, int, map, type Obj, obj, type ObjectSchema, str } from './schema.ts';

const servicePortS = obj(
  {
    name: str(),
    port: int({ minimum: 1, maximum: 65535 }),
    protocol: str({ enum: ['TCP', 'UDP', 'SCTP'] }),
    appProtocol: str(),
    nodePort: int(),
    targetPort: {
      type: 'any',
      rules: [
        (v: unknown, path: string, out: FieldIssue[]) => {
          const ok =
            (typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 65535) ||
            (typeof v === 'string' && /^(?=.*[a-z])[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(v) && v.length <= 15) ||
            (typeof v === 'string' && /^[0-9]+$/.test(v) && Number(v) >= 1 && Number(v) <= 65535);
          if (!ok)
            out.push({
              field: path,
              message: `Invalid value: ${JSON.stringify(v)}: must be a port number between 1 and 65535 or an IANA_SVC_NAME`,
            });
        },
      ],
    },
  },
  { required: ['port'], open: true },
);

const serviceSpecS = obj(
  {
    type: str({ enum: ['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'] }),
    ports: arr(servicePortS, {
      rules: [
        (ports: Obj[], path: string, out: FieldIssue[]) => {
          if (ports.length > 1) {
            ports.forEach((p, i) => {
              if (p.name === undefined || p.name === '')
                out.push({ field: `${path}[${i}].name`, message: 'Required value' });
            });
          }
          const seen = new Set<string>();
          ports.forEach((p, i) => {
            const k = `${p.port}/${p.protocol ?? 'TCP'}`;
            if (seen.has(k))
              out.push({
                field: `${path}[${i}]`,
                message: `Duplicate value: ${JSON.stringify({ port: p.port, protocol: p.protocol ?? 'TCP' })}`,
              });
            seen.add(k);
          });
        },
      ],
    }),
    selector: map(str()),
    externalName: str(),
    clusterIP: str(),
  },
  { open: true },
);

const base64 = str({
  rules: [
    (v: string, path: string, out: FieldIssue[]) => {
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(v.replace(/\s+/g, '')) || v.replace(/\s+/g, '').length % 4 !== 0) {
        out.push({ field: path, message: 'Invalid value: "<secret contents redacted>": illegal base64 data' });
      }
    },
  ],
});

const endpointSliceS = obj(
  {
    addressType: str({ enum: ['IPv4', 'IPv6', 'FQDN'] }),
    endpoints: arr(
      obj(
        {
          addresses: arr(str(), { minItems: 1, maxItems: 100 }),
          conditions: obj({ ready: bool(), serving: bool(), terminating: bool() }),
          hostname: str(),
          nodeName: str(),
          zone: str(),
        },
        { required: ['addresses'], open: true },
      ),
      { maxItems: 1000 },
    ),
    ports: arr(
      obj(
        {
          name: str(),
          port: int({ minimum: 0, maximum: 65535 }),
          protocol: str({ enum: ['TCP', 'UDP', 'SCTP'] }),
          appProtocol: str(),
        },
        { open: true },
      ),
      {
        maxItems: 100,
      },
    ),
  },
  { required: ['addressType'], open: true },
);

/** Top-level schema (apiVersion/kind/metadata checked elsewhere) for a core kind. */
export function coreSchema(kind: string): ObjectSchema | undefined {
  switch (kind) {
    case 'Service':
      return obj({ spec: serviceSpecS }, { open: true });
    case 'Secret':
      return obj({ data: map(base64), stringData: map(str()), type: str() }, { open: true });
    case 'ConfigMap':
      return obj({ data: map(str()), binaryData: map(base64) }, { open: true });
    case 'EndpointSlice':
      return endpointSliceS;
    case 'Namespace':
      return obj({}, { open: true });
    default:
      return undefined;
  }
}
