// TLS certificate references: resolve a certificateRef to a Secret, check that the referrer may
// use it (ReferenceGrant), and that it holds a parseable certificate with a matching private key.
// The PEM goes into the IR unchanged, so a data plane needs nothing else to serve it.

import { createPrivateKey, X509Certificate } from 'node:crypto';
import type { Secret, SecretObjectReference } from '../api/types.ts';
import type { CertificateIR } from '../ir/types.ts';
import type { Snapshot } from '../provider/snapshot.ts';
import type { CrossNamespaceFrom, ReferenceGrantIndex } from './referencegrant.ts';

export const SECRET_TYPE_TLS = 'kubernetes.io/tls';

export type CARefResult =
  | { ok: true; pem: string }
  | { ok: false; reason: 'InvalidCACertificateRef' | 'InvalidCACertificateKind' | 'RefNotPermitted'; message: string };

export type CertificateRefResult =
  | { ok: true; certificate: CertificateIR }
  | { ok: false; reason: 'InvalidCertificateRef' | 'RefNotPermitted'; message: string };

/** Reads a key of a Secret: `stringData` wins over base64 `data`, as the API server would merge them. */
export function secretValue(secret: Secret, key: string): string | undefined {
  const s = secret.stringData?.[key];
  if (s !== undefined) return s;
  const d = secret.data?.[key];
  if (d === undefined) return undefined;
  return Buffer.from(d, 'base64').toString('utf8');
}

/** Parses a certificate chain + key; returns the DNS names of the leaf or an error message. */
export function parseKeyPair(certPem: string, keyPem: string): { dnsNames: string[] } | { error: string } {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
  } catch {
    // The parser's own message names OpenSSL internals that change between versions; keep it stable.
    return { error: 'tls.crt is not a valid PEM certificate' };
  }
  let key: ReturnType<typeof createPrivateKey>;
  try {
    key = createPrivateKey(keyPem);
  } catch {
    return { error: 'tls.key is not a valid PEM private key' };
  }
  let matches = false;
  try {
    matches = cert.checkPrivateKey(key);
  } catch {
    matches = false;
  }
  if (!matches) return { error: 'tls.key does not match the certificate in tls.crt' };
  return { dnsNames: certificateDnsNames(cert) };
}

/** SAN DNS names, else the subject CN (legacy certificates), lower-cased, in certificate order. */
export function certificateDnsNames(cert: X509Certificate): string[] {
  const names: string[] = [];
  for (const entry of splitSubjectAltName(cert.subjectAltName ?? '')) {
    if (entry.startsWith('DNS:')) names.push(unquote(entry.slice(4)).toLowerCase());
  }
  if (names.length > 0) return names;
  for (const line of cert.subject.split('\n')) {
    if (line.startsWith('CN=')) names.push(unquote(line.slice(3)).toLowerCase());
  }
  return names;
}

// Node quotes SAN values that contain separators as JSON strings; split on ", " outside quotes.
function splitSubjectAltName(san: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < san.length; i++) {
    const ch = san[i]!;
    if (ch === '"' && san[i - 1] !== '\\') quoted = !quoted;
    if (!quoted && ch === ',' && san[i + 1] === ' ') {
      out.push(cur);
      cur = '';
      i++;
      continue;
    }
    cur += ch;
  }
  if (cur) out.push(cur);
  return out;
}

function unquote(v: string): string {
  if (v.startsWith('"') && v.endsWith('"')) {
    try {
      return JSON.parse(v) as string;
    } catch {
      return v.slice(1, -1);
    }
  }
  return v;
}

/**
 * Resolves certificate references of one translation. Parsing is cached per Secret because many
 * listeners usually share one certificate.
 */
export class CertificateResolver {
  readonly #snapshot: Snapshot;
  readonly #grants: ReferenceGrantIndex;
  readonly #parsed = new Map<string, CertificateRefResult>();
  /** The translation's clock (TranslateOptions.now), in ms; NaN when unknown (no expiry check). */
  readonly #now: number;

  constructor(snapshot: Snapshot, grants: ReferenceGrantIndex, now?: string) {
    this.#snapshot = snapshot;
    this.#grants = grants;
    this.#now = now === undefined ? Number.NaN : Date.parse(now);
  }

  /** `from` is the object holding the reference (Gateway or ListenerSet) and its namespace. */
  resolve(ref: SecretObjectReference, from: CrossNamespaceFrom): CertificateRefResult {
    const group = ref.group ?? '';
    const kind = ref.kind ?? 'Secret';
    const namespace = ref.namespace || from.namespace;
    const id = `${namespace}/${ref.name}`;
    if (group !== '' || kind !== 'Secret') {
      const gk = group === '' ? kind : `${kind}.${group}`;
      return {
        ok: false,
        reason: 'InvalidCertificateRef',
        message: `${gk} ${id} is not supported; only references to core Secrets are`,
      };
    }
    if (!this.#grants.allows(from, { group: '', kind: 'Secret', namespace, name: ref.name })) {
      return {
        ok: false,
        reason: 'RefNotPermitted',
        message: `Secret ${id} in another namespace is not permitted by any ReferenceGrant for ${from.kind} in ${from.namespace}`,
      };
    }
    let result = this.#parsed.get(id);
    if (!result) {
      result = this.#load(namespace, ref.name);
      this.#parsed.set(id, result);
    }
    return result;
  }

  /**
   * Resolves a CA bundle reference (frontend client-certificate validation): a ConfigMap (core
   * support) or a Secret, holding PEM certificates under ca.crt.
   */
  resolveCA(
    ref: { group?: string; kind?: string; name: string; namespace?: string },
    from: CrossNamespaceFrom,
  ): CARefResult {
    const group = ref.group ?? '';
    const kind = ref.kind ?? 'ConfigMap';
    const namespace = ref.namespace || from.namespace;
    const id = `${namespace}/${ref.name}`;
    if (group !== '' || (kind !== 'ConfigMap' && kind !== 'Secret')) {
      const gk = group === '' ? kind : `${kind}.${group}`;
      return {
        ok: false,
        reason: 'InvalidCACertificateKind',
        message: `${gk} ${id} is not supported; CA certificates come from a ConfigMap or Secret`,
      };
    }
    if (!this.#grants.allows(from, { group: '', kind, namespace, name: ref.name })) {
      return {
        ok: false,
        reason: 'RefNotPermitted',
        message: `${kind} ${id} in another namespace is not permitted by any ReferenceGrant for ${from.kind} in ${from.namespace}`,
      };
    }
    const obj = this.#snapshot.get(kind, namespace, ref.name);
    if (!obj) return { ok: false, reason: 'InvalidCACertificateRef', message: `${kind} ${id} does not exist` };
    const pem = kind === 'Secret' ? secretValue(obj, 'ca.crt') : obj.data?.['ca.crt'];
    if (!pem) return { ok: false, reason: 'InvalidCACertificateRef', message: `${kind} ${id} has no ca.crt` };
    try {
      new X509Certificate(pem);
    } catch {
      return {
        ok: false,
        reason: 'InvalidCACertificateRef',
        message: `${kind} ${id}: ca.crt is not a valid PEM certificate`,
      };
    }
    return { ok: true, pem };
  }

  #load(namespace: string, name: string): CertificateRefResult {
    const id = `${namespace}/${name}`;
    const secret = this.#snapshot.get('Secret', namespace, name);
    if (!secret) return { ok: false, reason: 'InvalidCertificateRef', message: `Secret ${id} does not exist` };
    if (secret.type !== SECRET_TYPE_TLS) {
      return {
        ok: false,
        reason: 'InvalidCertificateRef',
        message: `Secret ${id} must be of type ${SECRET_TYPE_TLS} (is ${secret.type ?? 'Opaque'})`,
      };
    }
    const certPem = secretValue(secret, 'tls.crt');
    const keyPem = secretValue(secret, 'tls.key');
    if (!certPem || !keyPem) {
      return { ok: false, reason: 'InvalidCertificateRef', message: `Secret ${id} must contain tls.crt and tls.key` };
    }
    const parsed = parseKeyPair(certPem, keyPem);
    if ('error' in parsed)
      return { ok: false, reason: 'InvalidCertificateRef', message: `Secret ${id}: ${parsed.error}` };
    // The spec lets implementations check more than well-formedness (expiry, for instance). An
    // expired certificate is refused like a malformed one: every client would reject it, and a
    // status condition says why sooner than their handshake errors. Not-yet-valid certificates are
    // served (clocks disagree; a certificate issued a moment ago must work). The check runs at
    // translation time: a certificate that expires while served is reported at the next reload.
    if (!Number.isNaN(this.#now)) {
      const notAfter = Date.parse(new X509Certificate(certPem).validToDate.toISOString());
      if (notAfter < this.#now) {
        return {
          ok: false,
          reason: 'InvalidCertificateRef',
          message: `Secret ${id}: the certificate in tls.crt expired at ${new Date(notAfter).toISOString()}`,
        };
      }
    }
    return { ok: true, certificate: { source: id, certPem, keyPem, dnsNames: parsed.dnsNames } };
  }
}
