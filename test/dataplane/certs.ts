// Test certificates generated with the openssl CLI: a CA and leaf certificates signed by it.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface TestCA {
  caPem: string;
  issue(cn: string, sans: string[]): { certPem: string; keyPem: string };
}

export function makeCA(): TestCA {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'portunus-certs-'));
  const run = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  run([
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '2',
    '-subj',
    '/CN=test-ca',
  ]);
  let n = 0;
  return {
    caPem: fs.readFileSync(path.join(dir, 'ca.pem'), 'utf8'),
    issue(cn, sans) {
      const id = 'leaf' + n++;
      run([
        'req',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        id + '.key',
        '-out',
        id + '.csr',
        '-subj',
        '/CN=' + cn,
      ]);
      fs.writeFileSync(path.join(dir, id + '.ext'), 'subjectAltName=' + sans.join(',') + '\n');
      run([
        'x509',
        '-req',
        '-in',
        id + '.csr',
        '-CA',
        'ca.pem',
        '-CAkey',
        'ca.key',
        '-CAcreateserial',
        '-out',
        id + '.pem',
        '-days',
        '2',
        '-extfile',
        id + '.ext',
      ]);
      return {
        certPem: fs.readFileSync(path.join(dir, id + '.pem'), 'utf8'),
        keyPem: fs.readFileSync(path.join(dir, id + '.key'), 'utf8'),
      };
    },
  };
}
