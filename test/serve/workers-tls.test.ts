// TLS session resumption with several data plane workers: every worker encrypts session tickets
// with the same keys, so a client resumes whichever worker accepts its next connection, and a
// configuration change does not invalidate the sessions already issued.

import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import tls from 'node:tls';
import { makeCA, type TestCA } from '../dataplane/certs.ts';
import {
  type Backend,
  freePort,
  getJson,
  routeYaml,
  type ServeProcess,
  serviceYaml,
  spawnServe,
  startBackend,
  tempDir,
  tlsSecretYaml,
  waitFor,
  writeAtomic,
} from './harness.ts';

let ca: TestCA;
let backend: Backend;
let serve: ServeProcess;
let dir: string;
let cleanup: () => Promise<void>;
let port: number;
let tlsPort: number;

function gatewayYaml(certPem: string, keyPem: string): string {
  return `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata:
  name: portunus
spec:
  controllerName: portunus.dev/gateway-controller
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: eg
  namespace: default
spec:
  gatewayClassName: portunus
  listeners:
    - name: https
      protocol: HTTPS
      port: ${port}
      hostname: www.example.com
      tls:
        certificateRefs:
          - name: cert
    - name: tls
      protocol: TLS
      port: ${tlsPort}
      hostname: tcp.example.com
      tls:
        mode: Terminate
        certificateRefs:
          - name: cert
---
${tlsSecretYaml('cert', certPem, keyPem)}`;
}

/** One TLS connection and one request on it; resolves with whether the session was resumed. */
function connect(
  session: Buffer | undefined,
  target: { port: number; servername: string } = { port, servername: 'www.example.com' },
): Promise<{ reused: boolean; session: Buffer | undefined; status: string }> {
  return new Promise((resolve, reject) => {
    let latest: Buffer | undefined;
    let response = '';
    const socket = tls.connect({
      host: '127.0.0.1',
      port: target.port,
      servername: target.servername,
      ca: ca.caPem,
      ...(session ? { session } : {}),
    });
    socket.on('session', (s: Buffer) => {
      latest = s;
    });
    socket.setTimeout(5_000, () => socket.destroy(new Error('timeout')));
    socket.on('error', reject);
    socket.on('secureConnect', () => {
      socket.write('GET / HTTP/1.1\r\nHost: www.example.com\r\nConnection: close\r\n\r\n');
    });
    socket.on('data', (d: Buffer) => {
      response += d.toString('latin1');
    });
    socket.on('end', () => {
      resolve({ reused: socket.isSessionReused(), session: latest, status: response.slice(0, 12) });
      socket.destroy();
    });
  });
}

before(async () => {
  ca = makeCA();
  backend = await startBackend('a');
  ({ dir, cleanup } = await tempDir());
  port = await freePort();
  tlsPort = await freePort();
  const leaf = ca.issue('www.example.com', ['DNS:www.example.com', 'DNS:tcp.example.com']);
  await writeFile(join(dir, 'gateway.yaml'), gatewayYaml(leaf.certPem, leaf.keyPem));
  await writeFile(join(dir, 'service.yaml'), serviceYaml(`svc-${backend.port}`, backend.port));
  await writeFile(
    join(dir, 'route.yaml'),
    routeYaml({ name: 'web', hostnames: ['www.example.com'], rules: [{ prefix: '/', backendPort: backend.port }] }),
  );
  // TLS terminated by the gateway, the plain bytes forwarded to the same HTTP backend.
  await writeFile(
    join(dir, 'tlsroute.yaml'),
    `apiVersion: gateway.networking.k8s.io/v1alpha2
kind: TLSRoute
metadata:
  name: tcp
  namespace: default
spec:
  parentRefs:
    - name: eg
      sectionName: tls
  hostnames: ["tcp.example.com"]
  rules:
    - backendRefs:
        - name: svc-${backend.port}
          port: ${backend.port}
`,
  );
  serve = await spawnServe({
    args: ['-f', dir, '--bind-address', '127.0.0.1', '--workers', '2', '--access-log', 'off'],
  });
  await waitFor('ready', async () => (await fetch(`${serve.admin}/readyz`)).status === 200);
});

after(async () => {
  await serve?.stop();
  await backend?.close();
  await cleanup?.();
});

async function resumesEveryTime(
  session: Buffer,
  n: number,
  target?: { port: number; servername: string },
): Promise<void> {
  for (let i = 0; i < n; i++) {
    const r = await connect(session, target);
    assert.equal(r.status, 'HTTP/1.1 200');
    // Each connection is a new source port, so SO_REUSEPORT spreads them over both workers; with
    // per-worker keys about half of them would fall back to a full handshake.
    assert.ok(r.reused, `connection ${i} was not resumed`);
  }
}

test('a TLS session resumes on any worker', async () => {
  const first = await connect(undefined);
  assert.equal(first.status, 'HTTP/1.1 200');
  assert.equal(first.reused, false);
  assert.ok(first.session, 'the server issued a session ticket');
  await resumesEveryTime(first.session, 16);
});

test('a TLS session resumes on any worker on a TLS listener that terminates for a TLSRoute', async () => {
  const target = { port: tlsPort, servername: 'tcp.example.com' };
  const first = await connect(undefined, target);
  assert.equal(first.status, 'HTTP/1.1 200');
  assert.ok(first.session, 'the server issued a session ticket');
  await resumesEveryTime(first.session, 16, target);
});

test('a configuration change keeps issued sessions valid', async () => {
  const first = await connect(undefined);
  const before = (await getJson(`${serve.admin}/config_dump`)).version;
  await writeAtomic(
    join(dir, 'route.yaml'),
    routeYaml({
      name: 'web',
      hostnames: ['www.example.com'],
      rules: [{ prefix: '/', backendPort: backend.port, setHeader: { name: 'x-v', value: '2' } }],
    }),
  );
  await waitFor('new version on every worker', async () => {
    const status = await getJson(`${serve.admin}/status`);
    return status.version !== before && status.workers.every((w: { version: string }) => w.version === status.version);
  });
  await resumesEveryTime(first.session!, 8);
});
