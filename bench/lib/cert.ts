// A throwaway ECDSA P-256 certificate for 127.0.0.1/localhost, made with the openssl command
// so that nginx, haproxy and Portunus all terminate TLS with the same key type.

import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface CertFiles {
  cert: string;
  key: string;
  /** Certificate followed by key, as haproxy wants it. */
  combined: string;
}

/** Returns null (TLS scenarios then report "unsupported") when openssl is missing or fails. */
export function makeCertificate(dir: string): CertFiles | null {
  const cert = join(dir, 'tls.crt');
  const key = join(dir, 'tls.key');
  const r = spawnSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '2',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
    ],
    { stdio: 'ignore', timeout: 10_000 },
  );
  if (r.status !== 0) return null;
  const combined = join(dir, 'tls.pem');
  writeFileSync(combined, readFileSync(cert, 'utf8') + readFileSync(key, 'utf8'));
  return { cert, key, combined };
}
