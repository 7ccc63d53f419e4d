// One request with Node's own clients before the load starts: proves the proxy serves the
// scenario (TLS, h2, routes) so that a missing feature shows up as a clear reason, not as a
// load run full of errors.

import http from 'node:http';
import http2 from 'node:http2';
import https from 'node:https';

const TIMEOUT_MS = 3000;

/** Resolves with null when a 2xx came back, else with what went wrong. */
export function probe(port: number, path: string, tls: boolean, h2: boolean): Promise<string | null> {
  return h2 ? probeH2(port, path, tls) : probeH1(port, path, tls);
}

function probeH1(port: number, path: string, tls: boolean): Promise<string | null> {
  return new Promise((resolve) => {
    const opts = { host: '127.0.0.1', port, path, agent: false, timeout: TIMEOUT_MS, rejectUnauthorized: false };
    const onRes = (res: http.IncomingMessage) => {
      res.resume();
      res.on('end', () => resolve(ok(res.statusCode)));
      res.on('error', (e) => resolve(`response: ${e.message}`));
    };
    const req = tls ? https.get(opts, onRes) : http.get(opts, onRes);
    req.on('timeout', () => req.destroy(new Error(`no response in ${TIMEOUT_MS} ms`)));
    req.on('error', (e: NodeJS.ErrnoException) => resolve(`${tls ? 'HTTPS' : 'HTTP/1.1'}: ${e.code ?? e.message}`));
  });
}

function probeH2(port: number, path: string, tls: boolean): Promise<string | null> {
  return new Promise((resolve) => {
    const session = http2.connect(`${tls ? 'https' : 'http'}://127.0.0.1:${port}`, { rejectUnauthorized: false });
    const timer = setTimeout(() => done(`h2: no response in ${TIMEOUT_MS} ms`), TIMEOUT_MS);
    let finished = false;
    function done(result: string | null): void {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      session.destroy();
      resolve(result);
    }
    session.on('error', (e: NodeJS.ErrnoException) => done(`h2: ${e.code ?? e.message}`));
    const req = session.request({ ':path': path, ':method': 'GET' });
    req.on('response', (headers) => {
      req.resume();
      req.on('end', () => done(ok(Number(headers[':status']))));
    });
    req.on('error', (e: NodeJS.ErrnoException) => done(`h2: ${e.code ?? e.message}`));
  });
}

function ok(status: number | undefined): string | null {
  return status !== undefined && status >= 200 && status < 300 ? null : `status ${status}`;
}
