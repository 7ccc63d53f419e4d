// biome-ignore-all lint/suspicious/noExplicitAny: JSON from the admin API is probed field by field
// ListenerSet under `portunus serve`: a listener a ListenerSet adds to a Gateway carries traffic for
// routes attached to the ListenerSet, the Gateway's own listener keeps its routes, both report
// status, and deleting the ListenerSet takes its port away while the Gateway keeps serving.

import assert from 'node:assert/strict';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  type Backend,
  freePort,
  getJson,
  type ServeProcess,
  serviceYaml,
  spawnServe,
  startBackend,
  tempDir,
  through,
  waitFor,
} from './harness.ts';

let gatewayBackend: Backend;
let teamBackend: Backend;
let serve: ServeProcess;
let dir: string;
let cleanup: () => Promise<void>;
let gwPort: number;
let setPort: number;

function condition(conditions: any[] | undefined, type: string): string | undefined {
  return conditions?.find((c: any) => c.type === type)?.status;
}

before(async () => {
  [gatewayBackend, teamBackend] = await Promise.all([startBackend('gateway'), startBackend('team')]);
  ({ dir, cleanup } = await tempDir());
  [gwPort, setPort] = [await freePort(), await freePort()];
  await writeFile(
    join(dir, 'gateway.yaml'),
    `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: { name: portunus }
spec:
  controllerName: portunus.dev/gateway-controller
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: eg, namespace: default }
spec:
  gatewayClassName: portunus
  allowedListeners:
    namespaces: { from: Same }
  listeners:
    - name: http
      port: ${gwPort}
      protocol: HTTP
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: main, namespace: default }
spec:
  parentRefs: [{ name: eg }]
  rules:
    - backendRefs: [{ name: svc-${gatewayBackend.port}, port: ${gatewayBackend.port} }]
`,
  );
  await writeFile(
    join(dir, 'services.yaml'),
    `${serviceYaml(`svc-${gatewayBackend.port}`, gatewayBackend.port)}---\n${serviceYaml(`svc-${teamBackend.port}`, teamBackend.port)}`,
  );
  await writeFile(
    join(dir, 'team.yaml'),
    `apiVersion: gateway.networking.k8s.io/v1
kind: ListenerSet
metadata: { name: team, namespace: default }
spec:
  parentRef: { name: eg }
  listeners:
    - name: team-http
      port: ${setPort}
      protocol: HTTP
      hostname: team.example.com
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: team, namespace: default }
spec:
  parentRefs: [{ kind: ListenerSet, name: team }]
  rules:
    - backendRefs: [{ name: svc-${teamBackend.port}, port: ${teamBackend.port} }]
`,
  );
  serve = await spawnServe({ args: ['-f', dir, '--bind-address', '127.0.0.1', '--reload-debounce', '10'] });
  await waitFor('ready', async () => (await fetch(`${serve.admin}/readyz`)).status === 200);
});

after(async () => {
  await serve?.stop();
  await Promise.all([gatewayBackend?.close(), teamBackend?.close()]);
  await cleanup?.();
});

test("a ListenerSet's listener serves the routes attached to the ListenerSet; the Gateway's serves its own", async () => {
  const team = await through(setPort, 'team.example.com', '/x');
  assert.equal(team.status, 200);
  assert.equal(JSON.parse(team.body).backend, 'team');
  // The ListenerSet listener's hostname is team.example.com: other names find no route there.
  assert.equal((await through(setPort, 'other.example.com', '/x')).status, 404);
  const main = await through(gwPort, 'any.example.com', '/y');
  assert.equal(main.status, 200);
  assert.equal(JSON.parse(main.body).backend, 'gateway');

  const status = await getJson(`${serve.admin}/status`);
  const set = status.resources.find((r: any) => r.kind === 'ListenerSet');
  assert.equal(condition(set.status.conditions, 'Accepted'), 'True');
  assert.equal(condition(set.status.conditions, 'Programmed'), 'True');
  const listener = set.status.listeners.find((l: any) => l.name === 'team-http');
  assert.equal(condition(listener.conditions, 'Programmed'), 'True');
  assert.equal(listener.attachedRoutes, 1);
  const gw = status.resources.find((r: any) => r.kind === 'Gateway');
  assert.equal(gw.status.attachedListenerSets, 1);
  assert.deepEqual(status.listening.map((l: any) => l.port).sort(), [gwPort, setPort].sort());
});

test("deleting the ListenerSet closes its port; the Gateway's listener keeps serving", async () => {
  await rm(join(dir, 'team.yaml'));
  await waitFor('the ListenerSet port closed', async () => {
    const status = await getJson(`${serve.admin}/status`);
    return status.listening.every((l: any) => l.port !== setPort);
  });
  await assert.rejects(through(setPort, 'team.example.com', '/x'));
  assert.equal((await through(gwPort, 'any.example.com', '/y')).status, 200);
});
