// Envoy Gateway `Backend` endpoints through `portunus serve`: an IP, a DNS name resolved by the
// data plane, and a unix socket.

import assert from 'node:assert/strict';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  type Backend,
  freePort,
  gatewayYaml,
  type ServeProcess,
  spawnServe,
  startBackend,
  tempDir,
  through,
  waitFor,
} from './harness.ts';

let ip: Backend;
let dns: Backend;
let unixServer: Server;
let serve: ServeProcess;
let cleanup: () => Promise<void>;
let port: number;

function backendYaml(name: string, endpoint: string): string {
  return `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: Backend
metadata: {name: ${name}, namespace: default}
spec:
  endpoints:
  - ${endpoint}
`;
}

function routeTo(name: string, prefix: string): string {
  return `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: to-${name}, namespace: default}
spec:
  parentRefs: [{name: eg}]
  hostnames: [backends.example.com]
  rules:
  - matches: [{path: {type: PathPrefix, value: ${prefix}}}]
    backendRefs: [{group: gateway.envoyproxy.io, kind: Backend, name: ${name}}]
`;
}

before(async () => {
  [ip, dns] = await Promise.all([startBackend('ip'), startBackend('dns')]);
  const t = await tempDir();
  cleanup = t.cleanup;
  const sock = join(t.dir, 'backend.sock');
  unixServer = createServer((req, res) => {
    const body = JSON.stringify({ backend: 'unix', path: req.url });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  unixServer.listen(sock);
  await once(unixServer, 'listening');
  port = await freePort();
  await writeFile(join(t.dir, 'gateway.yaml'), gatewayYaml([{ name: 'http', port }]));
  await writeFile(
    join(t.dir, 'backends.yaml'),
    [
      backendYaml('by-ip', `ip: {address: 127.0.0.1, port: ${ip.port}}`),
      backendYaml('by-dns', `fqdn: {hostname: localhost, port: ${dns.port}}`),
      backendYaml('by-unix', `unix: {path: ${sock}}`),
      routeTo('by-ip', '/ip'),
      routeTo('by-dns', '/dns'),
      routeTo('by-unix', '/unix'),
    ].join('---\n'),
  );
  serve = await spawnServe({
    args: ['-f', join(t.dir, 'gateway.yaml'), '-f', join(t.dir, 'backends.yaml'), '--bind-address', '127.0.0.1'],
  });
  await waitFor('ready', async () => (await fetch(`${serve.admin}/readyz`)).status === 200);
});

after(async () => {
  await serve?.stop();
  await Promise.all([ip?.close(), dns?.close()]);
  unixServer?.close();
  await cleanup?.();
});

test('Backend endpoints by IP, DNS name and unix socket each serve their route', async () => {
  for (const [path, backend] of [
    ['/ip/a', 'ip'],
    ['/dns/b', 'dns'],
    ['/unix/c', 'unix'],
  ] as const) {
    const r = await waitFor(`${path} served`, async () => {
      const res = await through(port, 'backends.example.com', path);
      return res.status === 200 ? res : undefined;
    });
    const body = JSON.parse(r.body) as { backend: string; path: string };
    assert.equal(body.backend, backend, path);
    assert.equal(body.path, path);
  }
});
