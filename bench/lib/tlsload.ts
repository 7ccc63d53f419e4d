// Builds tlsload (tlsload.c), the load generator of the TLS handshake scenarios, into the run's
// scratch directory.
//
// Why not the usual tools: wrk with `Connection: close` over https reuses the TLS session of a
// socket's previous connection whenever it kept one (it calls SSL_clear, not SSL_free), so about
// half of its "new" connections are resumed handshakes; `openssl s_time` does full or resumed
// handshakes one connection at a time per process and reports whole seconds; h2load resumes
// every reconnect. tlsload says which one it does, and counts what the server actually granted.

import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

/** Path of the built program, or throws with what is missing (a C compiler, OpenSSL headers). */
export function buildTlsload(dir: string): { path: string; openssl: string } {
  const out = join(dir, 'tlsload');
  const src = new URL('./tlsload.c', import.meta.url).pathname;
  const r = spawnSync('cc', ['-O2', '-o', out, src, '-lssl', '-lcrypto', '-lpthread'], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (r.error || r.status !== 0) {
    const why = r.error ? r.error.message : r.stderr.trim().split('\n').slice(0, 5).join('\n');
    throw new Error(`cannot build tlsload (needs cc and libssl-dev; bash bench/setup.sh): ${why}`);
  }
  const v = spawnSync(out, ['-V'], { encoding: 'utf8', timeout: 5000 });
  return { path: out, openssl: v.stdout?.trim() || 'OpenSSL (unknown version)' };
}
