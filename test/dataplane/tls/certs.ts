// Test PKI made with the openssl CLI: certificate authorities and RSA or ECDSA P-256 leaves with
// DNS/URI subjectAltNames, for servers and clients alike.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CertificateIR } from '../../../src/ir/types.ts';

export type KeyType = 'rsa' | 'ec';

export interface Leaf {
  certPem: string;
  keyPem: string;
  /** Files on disk, for openssl s_client. */
  certFile: string;
  keyFile: string;
}

export interface CA {
  name: string;
  caPem: string;
  caFile: string;
  /** `sans` are openssl subjectAltName entries: "DNS:a.example.com", "URI:spiffe://x". */
  issue(cn: string, sans: string[], key?: KeyType): Leaf;
}

const OPENSSL = '/usr/bin/openssl';
let dirCache: string | null = null;
let seq = 0;

function workDir(): string {
  dirCache ??= fs.mkdtempSync(path.join(os.tmpdir(), 'portunus-l4-pki-'));
  return dirCache;
}

function run(args: string[]): void {
  execFileSync(OPENSSL, args, { cwd: workDir(), stdio: 'pipe' });
}

function keyArgs(key: KeyType): string[] {
  return key === 'rsa' ? ['-newkey', 'rsa:2048'] : ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1'];
}

export function makeCA(name = 'test-ca', caKey: KeyType = 'ec'): CA {
  const id = 'ca' + seq++;
  run([
    'req',
    '-x509',
    ...keyArgs(caKey),
    '-nodes',
    '-keyout',
    id + '.key',
    '-out',
    id + '.pem',
    '-days',
    '2',
    '-subj',
    '/CN=' + name,
  ]);
  const dir = workDir();
  return {
    name,
    caPem: fs.readFileSync(path.join(dir, id + '.pem'), 'utf8'),
    caFile: path.join(dir, id + '.pem'),
    issue(cn, sans, key = 'ec') {
      const leaf = 'leaf' + seq++;
      run(['req', ...keyArgs(key), '-nodes', '-keyout', leaf + '.key', '-out', leaf + '.csr', '-subj', '/CN=' + cn]);
      fs.writeFileSync(
        path.join(dir, leaf + '.ext'),
        sans.length > 0 ? 'subjectAltName=' + sans.join(',') + '\n' : '\n',
      );
      run([
        'x509',
        '-req',
        '-in',
        leaf + '.csr',
        '-CA',
        id + '.pem',
        '-CAkey',
        id + '.key',
        '-CAcreateserial',
        '-out',
        leaf + '.pem',
        '-days',
        '2',
        '-extfile',
        leaf + '.ext',
      ]);
      return {
        certPem: fs.readFileSync(path.join(dir, leaf + '.pem'), 'utf8'),
        keyPem: fs.readFileSync(path.join(dir, leaf + '.key'), 'utf8'),
        certFile: path.join(dir, leaf + '.pem'),
        keyFile: path.join(dir, leaf + '.key'),
      };
    },
  };
}

/** A CertificateIR for a leaf; dnsNames as the translator would extract them. */
export function certIR(leaf: Leaf, dnsNames: string[], source = 'default/cert'): CertificateIR {
  return { source, certPem: leaf.certPem, keyPem: leaf.keyPem, dnsNames };
}
