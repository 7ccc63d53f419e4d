// GatewayClass, Gateway and ListenerSet (gateway.networking.k8s.io v1, experimental channel of v1.6).

import { isIP } from 'node:net';
import {
  DNS_SUBDOMAIN,
  GROUP,
  hostnameS,
  kindS,
  labelSelectorS,
  localObjectRefS,
  nameS,
  namespaceS,
  objectRefS,
  portS,
  secretObjectRefS,
  stringMapS,
  WILDCARD_HOSTNAME,
} from './common.ts';
import { arr, celError, type FieldIssue, isObj, map, type Obj, obj, str } from './schema.ts';

const CONTROLLER_NAME =
  "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\\/[A-Za-z0-9\\/\\-._~%!$&'()*+,;=:]+$";

export const gatewayClassSpecS = obj(
  {
    controllerName: str({ pattern: CONTROLLER_NAME, minLength: 1, maxLength: 253 }),
    description: str({ maxLength: 64 }),
    parametersRef: objectRefS,
  },
  { required: ['controllerName'] },
);

// ---------- listeners (shared by Gateway and ListenerSet) ----------

const tlsS = obj(
  {
    mode: str({ enum: ['Terminate', 'Passthrough'] }),
    certificateRefs: arr(secretObjectRefS, { maxItems: 64 }),
    options: stringMapS(16),
  },
  {
    rules: [
      (v: Obj, path: string, out: FieldIssue[]) => {
        const refs = Array.isArray(v.certificateRefs) ? v.certificateRefs.length : 0;
        const opts = isObj(v.options) ? Object.keys(v.options).length : 0;
        if (v.mode === 'Terminate' && refs === 0 && opts === 0) {
          celError(out, path, v, 'certificateRefs or options must be specified when mode is Terminate');
        }
      },
    ],
  },
);

const listenerS = obj(
  {
    name: str({ pattern: DNS_SUBDOMAIN, minLength: 1, maxLength: 253 }),
    hostname: hostnameS,
    port: portS,
    protocol: str({
      pattern:
        '^[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?$|[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\\/[A-Za-z0-9]+$',
      minLength: 1,
      maxLength: 255,
    }),
    tls: tlsS,
    allowedRoutes: obj({
      namespaces: obj({ from: str({ enum: ['All', 'Selector', 'Same'] }), selector: labelSelectorS }),
      kinds: arr(obj({ group: str({ pattern: GROUP, maxLength: 253 }), kind: kindS }, { required: ['kind'] }), {
        maxItems: 8,
      }),
    }),
  },
  { required: ['name', 'port', 'protocol'] },
);

const has = (v: unknown): boolean => v !== undefined && v !== null && v !== '';

/** The CEL rules on spec.listeners, reported at the listener (or its field) that breaks them. */
function listenerRules(ls: Obj[], path: string, out: FieldIssue[]): void {
  const names = new Set<unknown>();
  const combos = new Set<string>();
  ls.forEach((l, i) => {
    const at = `${path}[${i}]`;
    const tls = isObj(l.tls) ? l.tls : undefined;
    if (['HTTP', 'TCP', 'UDP'].includes(l.protocol as string) && l.tls !== undefined) {
      celError(out, `${at}.tls`, ls, "tls must not be specified for protocols ['HTTP', 'TCP', 'UDP']");
    }
    if (l.protocol === 'HTTPS' && tls && has(tls.mode) && tls.mode !== 'Terminate') {
      celError(out, `${at}.tls.mode`, ls, 'tls mode must be Terminate for protocol HTTPS');
    }
    if (l.protocol === 'TLS' && !(tls && has(tls.mode))) {
      celError(out, tls ? `${at}.tls` : at, ls, 'tls mode must be set for protocol TLS');
    }
    if (['TCP', 'UDP'].includes(l.protocol as string) && has(l.hostname)) {
      celError(out, `${at}.hostname`, ls, "hostname must not be specified for protocols ['TCP', 'UDP']");
    }
    if (names.has(l.name)) celError(out, `${at}.name`, ls, 'Listener name must be unique within the Gateway');
    names.add(l.name);
    const combo = JSON.stringify([l.port, l.protocol, l.hostname ?? null]);
    if (l.port !== undefined && combos.has(combo)) {
      celError(out, at, ls, 'Combination of port, protocol and hostname must be unique for each listener');
    }
    combos.add(combo);
  });
}

export const listenersS = arr(listenerS, { minItems: 1, maxItems: 64, rules: [listenerRules] });

// ---------- Gateway ----------

const ADDRESS_TYPE =
  "^Hostname|IPAddress|NamedAddress|[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\\/[A-Za-z0-9\\/\\-._~%!$&'()*+,;=:]+$";
const QUALIFIED_KEY =
  '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9]$';

const addressS = obj(
  { type: str({ pattern: ADDRESS_TYPE, minLength: 1, maxLength: 253 }), value: str({ maxLength: 253 }) },
  {
    rules: [
      (v: Obj, path: string, out: FieldIssue[]) => {
        if (v.type === 'IPAddress' && typeof v.value === 'string' && v.value !== '' && isIP(v.value) === 0) {
          out.push({
            field: `${path}.value`,
            message: `Invalid value: ${JSON.stringify(v.value)}: must be a valid IPv4 or IPv6 address`,
          });
        }
        if (v.type === 'Hostname' && typeof v.value === 'string' && !new RegExp(WILDCARD_HOSTNAME).test(v.value)) {
          celError(
            out,
            path,
            v,
            `Hostname value must be empty or contain only valid characters (matching ${WILDCARD_HOSTNAME})`,
          );
        }
      },
    ],
  },
);

function uniqueAddresses(addrs: Obj[], path: string, out: FieldIssue[]): void {
  for (const type of ['IPAddress', 'Hostname']) {
    const seen = new Set<unknown>();
    addrs.forEach((a, i) => {
      if (a.type !== type || a.value === undefined) return;
      if (seen.has(a.value)) celError(out, `${path}[${i}]`, addrs, `${type} values must be unique`);
      seen.add(a.value);
    });
  }
}

function keyRules(what: 'Label' | 'Annotation') {
  const re = new RegExp(QUALIFIED_KEY);
  return (m: Obj, path: string, out: FieldIssue[]): void => {
    const keys = Object.keys(m);
    if (!keys.every((k) => re.test(k))) {
      celError(
        out,
        path,
        m,
        `${what} keys must be in the form of an optional DNS subdomain prefix followed by a required name segment of up to 63 characters.`,
      );
    }
    if (!keys.every((k) => k.split('/')[0]!.length < 253)) {
      celError(
        out,
        path,
        m,
        `If specified, the ${what.toLowerCase()} key's prefix must be a DNS subdomain not longer than 253 characters in total.`,
      );
    }
  };
}

const frontendValidationS = obj(
  {
    caCertificateRefs: arr(objectRefS, { minItems: 1, maxItems: 16 }),
    mode: str({ enum: ['AllowValidOnly', 'AllowInsecureFallback'] }),
  },
  { required: ['caCertificateRefs'] },
);

export const gatewaySpecS = obj(
  {
    gatewayClassName: nameS,
    listeners: listenersS,
    addresses: arr(addressS, { maxItems: 16, rules: [uniqueAddresses] }),
    infrastructure: obj({
      labels: map(str({ pattern: '^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$', maxLength: 63 }), {
        maxProperties: 8,
        rules: [keyRules('Label')],
      }),
      annotations: map(str({ maxLength: 4096 }), { maxProperties: 16, rules: [keyRules('Annotation')] }),
      parametersRef: localObjectRefS,
    }),
    allowedListeners: obj({
      namespaces: obj({ from: str({ enum: ['All', 'Selector', 'Same', 'None'] }), selector: labelSelectorS }),
    }),
    tls: obj({
      backend: obj({ clientCertificateRef: secretObjectRefS }),
      frontend: obj(
        {
          default: obj({ validation: frontendValidationS }),
          perPort: arr(
            obj({ port: portS, tls: obj({ validation: frontendValidationS }) }, { required: ['port', 'tls'] }),
            {
              maxItems: 64,
              rules: [
                (pp: Obj[], path: string, out: FieldIssue[]) => {
                  const seen = new Set<unknown>();
                  pp.forEach((p, i) => {
                    if (seen.has(p.port))
                      celError(
                        out,
                        `${path}[${i}].port`,
                        pp,
                        'Port for TLS configuration must be unique within the Gateway',
                      );
                    seen.add(p.port);
                  });
                },
              ],
            },
          ),
        },
        { required: ['default'] },
      ),
    }),
    defaultScope: str({ enum: ['All', 'None'] }),
  },
  { required: ['gatewayClassName', 'listeners'] },
);

// ---------- ListenerSet ----------

export const listenerSetSpecS = obj(
  {
    parentRef: obj(
      {
        group: str({ pattern: GROUP, maxLength: 253 }),
        kind: kindS,
        name: nameS,
        namespace: namespaceS,
      },
      { required: ['name'] },
    ),
    listeners: listenersS,
  },
  { required: ['listeners', 'parentRef'] },
);
