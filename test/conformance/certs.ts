// The certificates the upstream conformance suite creates at setup time (conformance/utils/suite/suite.go,
// "Applying programmatic resources"), generated here with openssl into a temp dir so that no private key
// is committed. Same names, namespaces, SANs and key usages as upstream; EC P-256 keys instead of RSA
// 2048 keep generation fast and make no difference to status computation.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const INFRA = 'gateway-conformance-infra';
const WEB = 'gateway-conformance-web-backend';
const APP = 'gateway-conformance-app-backend';

interface Pem {
  cert: string;
  key: string;
}

type Doc = Record<string, unknown>;

function sanExt(hosts: string[]): string {
  const parts = hosts.map((h) => {
    if (/^\d+\.\d+\.\d+\.\d+$/.test(h) || (h.includes(':') && !h.includes('://'))) return `IP:${h}`;
    if (h.includes('://')) return `URI:${h}`;
    return `DNS:${h}`;
  });
  return `subjectAltName=${parts.join(',')}`;
}

class CertFactory {
  readonly #dir: string;
  #n = 0;

  constructor(dir: string) {
    this.#dir = dir;
  }

  #openssl(args: string[]): void {
    execFileSync('/usr/bin/openssl', args, { cwd: this.#dir, stdio: ['ignore', 'ignore', 'pipe'] });
  }

  #read(name: string): string {
    return readFileSync(join(this.#dir, name), 'utf8');
  }

  #newKey(name: string): void {
    this.#openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-out', name]);
  }

  ca(): Pem {
    const id = `ca${this.#n++}`;
    this.#newKey(`${id}.key`);
    this.#openssl([
      'req',
      '-x509',
      '-new',
      '-key',
      `${id}.key`,
      '-out',
      `${id}.crt`,
      '-days',
      '365',
      '-subj',
      '/O=Kubernetes/CN=ca',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,digitalSignature',
    ]);
    return { cert: this.#read(`${id}.crt`), key: this.#read(`${id}.key`) };
  }

  /** A leaf certificate; self-signed when `ca` is omitted (MustCreateSelfSignedCertSecret). */
  leaf(hosts: string[], usage: 'serverAuth' | 'clientAuth', ca?: Pem): Pem {
    const id = `leaf${this.#n++}`;
    this.#newKey(`${id}.key`);
    const exts = ['-addext', `extendedKeyUsage=${usage}`, '-addext', 'keyUsage=digitalSignature,keyEncipherment'];
    if (hosts.length > 0) exts.push('-addext', sanExt(hosts));
    if (!ca) {
      this.#openssl([
        'req',
        '-x509',
        '-new',
        '-key',
        `${id}.key`,
        '-out',
        `${id}.crt`,
        '-days',
        '365',
        '-subj',
        '/O=Kubernetes/CN=leaf',
        ...exts,
      ]);
    } else {
      writeFileSync(join(this.#dir, `${id}-ca.crt`), ca.cert);
      writeFileSync(join(this.#dir, `${id}-ca.key`), ca.key);
      this.#openssl([
        'req',
        '-new',
        '-key',
        `${id}.key`,
        '-out',
        `${id}.csr`,
        '-subj',
        '/O=Kubernetes/CN=leaf',
        ...exts,
      ]);
      this.#openssl([
        'x509',
        '-req',
        '-in',
        `${id}.csr`,
        '-CA',
        `${id}-ca.crt`,
        '-CAkey',
        `${id}-ca.key`,
        '-CAcreateserial',
        '-out',
        `${id}.crt`,
        '-days',
        '365',
        '-copy_extensions',
        'copyall',
      ]);
    }
    return { cert: this.#read(`${id}.crt`), key: this.#read(`${id}.key`) };
  }
}

function tlsSecret(namespace: string, name: string, pem: Pem): Doc {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { namespace, name },
    type: 'kubernetes.io/tls',
    data: {
      'tls.crt': Buffer.from(pem.cert).toString('base64'),
      'tls.key': Buffer.from(pem.key).toString('base64'),
    },
  };
}

function caConfigMap(namespace: string, name: string, pem: Pem): Doc {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { namespace, name },
    data: { 'ca.crt': pem.cert, 'key.crt': pem.key },
  };
}

let cached: { docs: Doc[]; pems: Map<string, Pem> } | undefined;

/**
 * The Secrets and ConfigMaps upstream's suite setup applies, in the same order. Generated once per
 * process; the temp dir is removed right after (the PEMs live on only in memory).
 */
export function suiteSetupResources(): { docs: Doc[]; pems: Map<string, Pem> } {
  if (cached) return cached;
  const dir = mkdtempSync(join(tmpdir(), 'portunus-conformance-certs-'));
  try {
    const f = new CertFactory(dir);
    const docs: Doc[] = [];
    const pems = new Map<string, Pem>();
    const secret = (ns: string, name: string, pem: Pem) => {
      pems.set(`${ns}/${name}`, pem);
      docs.push(tlsSecret(ns, name, pem));
    };
    const cm = (ns: string, name: string, pem: Pem) => {
      pems.set(`${ns}/${name}`, pem);
      docs.push(caConfigMap(ns, name, pem));
    };

    secret(WEB, 'certificate', f.leaf(['*'], 'serverAuth'));
    secret(INFRA, 'tls-validity-checks-certificate', f.leaf(['*', '*.org', '*.wildcard.org'], 'serverAuth'));
    cm(WEB, 'web-backend-cm', f.ca());

    let ca = f.ca();
    cm(INFRA, 'tls-validity-checks-ca-certificate', ca);
    secret(INFRA, 'tls-validity-checks-client-certificate', f.leaf([], 'clientAuth', ca));
    ca = f.ca();
    cm(INFRA, 'tls-validity-checks-per-port-ca-certificate', ca);
    secret(INFRA, 'tls-validity-checks-per-port-client-certificate', f.leaf([], 'clientAuth', ca));

    ca = f.ca();
    cm(INFRA, 'tls-checks-ca-certificate', ca);
    secret(
      INFRA,
      'tls-checks-certificate',
      f.leaf(['abc.example.com', 'spiffe://abc.example.com/test-identity', 'other.example.com'], 'serverAuth', ca),
    );
    secret(INFRA, 'tls-checks-client-certificate', f.leaf([], 'clientAuth', ca));
    secret(INFRA, 'tls-passthrough-checks-certificate', f.leaf(['abc.example.com'], 'serverAuth', ca));
    secret(APP, 'tls-passthrough-checks-certificate', f.leaf(['abc.example.com'], 'serverAuth', ca));
    secret(INFRA, 'tls-terminate-checks-certificate', f.leaf(['tls.example.com'], 'serverAuth', ca));

    cm(INFRA, 'mismatch-ca-certificate', f.ca());
    cached = { docs, pems };
    return cached;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
