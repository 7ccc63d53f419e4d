// biome-ignore-all lint/suspicious/noExplicitAny: JSON from the admin API is probed field by field
// `portunus serve` as a real process: traffic, reload on change, last-good on broken input,
// admin endpoints and `portunus status` against it.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import {
  type Backend,
  BIN,
  CHILD_PATH,
  freePort,
  gatewayYaml,
  getJson,
  ROOT,
  routeYaml,
  type ServeProcess,
  serviceYaml,
  spawnServe,
  startBackend,
  tempDir,
  through,
  waitFor,
  writeAtomic,
} from './harness.ts';

const run = promisify(execFile);

let a: Backend;
let b: Backend;
let serve: ServeProcess;
let dir: string;
let cleanup: () => Promise<void>;
let gwPort: number;

before(async () => {
  [a, b] = await Promise.all([startBackend('a'), startBackend('b')]);
  ({ dir, cleanup } = await tempDir());
  gwPort = await freePort();
  await writeFile(join(dir, 'gateway.yaml'), gatewayYaml([{ name: 'http', port: gwPort }]));
  await writeFile(
    join(dir, 'services.yaml'),
    `${serviceYaml(`svc-${a.port}`, a.port)}---\n${serviceYaml(`svc-${b.port}`, b.port)}`,
  );
  await writeFile(
    join(dir, 'route.yaml'),
    routeYaml({ name: 'web', hostnames: ['www.example.com'], rules: [{ prefix: '/', backendPort: a.port }] }),
  );
  await writeFile(join(dir, 'README.txt'), 'not a manifest: ignored\n');
  serve = await spawnServe({ args: ['-f', dir, '--bind-address', '127.0.0.1', '--reload-debounce', '20'] });
  await waitFor('ready', async () => (await fetch(`${serve.admin}/readyz`)).status === 200);
});

after(async () => {
  await serve?.stop();
  await Promise.all([a?.close(), b?.close()]);
  await cleanup?.();
});

test('serves traffic for the route and 404 for other hosts', async () => {
  const r = await through(gwPort, 'www.example.com', '/get');
  assert.equal(r.status, 200, r.body);
  assert.equal(JSON.parse(r.body).backend, 'a');
  const miss = await through(gwPort, 'nope.example.com', '/get');
  assert.equal(miss.status, 404);
});

test('writes a JSON access log line per request on stdout', async () => {
  await through(gwPort, 'www.example.com', '/logged?q=1');
  const line = await waitFor('access log line', () =>
    serve
      .stdout()
      .split('\n')
      .find((l) => l.includes('/logged?q=1')),
  );
  const rec = JSON.parse(line);
  assert.equal(rec.method, 'GET');
  assert.equal(rec.response_code, 200);
  assert.equal(rec.route, 'HTTPRoute/default/web');
  assert.equal(rec.listener, 'default/eg/http');
  assert.equal(rec.upstream_host, `127.0.0.1:${a.port}`);
  assert.match(rec.start_time, /^\d{4}-\d\d-\d\dT/);
});

test('admin endpoints describe the running configuration', async () => {
  assert.equal((await fetch(`${serve.admin}/healthz`)).status, 200);
  const dump = await getJson(`${serve.admin}/config_dump`);
  assert.match(dump.version, /^[0-9a-f]{16}$/);
  assert.equal(dump.ir.gateways[0].name, 'default/eg');
  assert.equal(dump.ir.gateways[0].listeners[0].port, gwPort);
  const status = await getJson(`${serve.admin}/status`);
  assert.equal(status.ready, true);
  assert.equal(status.version, dump.version);
  const gw = status.resources.find((r: any) => r.kind === 'Gateway');
  assert.ok(gw.status.conditions.some((c: any) => c.type === 'Programmed' && c.status === 'True'));
  assert.deepEqual(status.applyErrors, []);
  assert.deepEqual(status.listening, [{ port: gwPort, protocol: 'HTTP', address: '127.0.0.1' }]);
  const metrics = await (await fetch(`${serve.admin}/metrics`)).text();
  assert.match(metrics, new RegExp(`^portunus_config_info\\{version="${dump.version}"\\} 1$`, 'm'));
  assert.match(
    metrics,
    /^portunus_http_requests_total\{listener="default\/eg\/http",route="HTTPRoute\/default\/web",cluster="[^"]+",code_class="2xx"\} \d+$/m,
  );
  // Labelled by listener, or by port ("port/<n>") when listeners share it (a Host picks among them later).
  assert.match(metrics, /^portunus_active_connections\{listener="default\/eg\/http"\} \d+$/m);
});

test('portunus status prints conditions for resources and listeners', async () => {
  const { stdout } = await run(process.execPath, [BIN, 'status', '--admin', serve.admin], {
    cwd: ROOT,
    env: { ...process.env, PATH: CHILD_PATH },
  });
  assert.match(stdout, /^KIND\s+NAMESPACE\s+NAME\s+CONDITIONS$/m);
  assert.match(stdout, /^Gateway\s+default\s+eg\s+.*Programmed=True\(Programmed\)/m);
  assert.match(stdout, /^ {2}Listener\s+default\s+eg\/http\s+.*Programmed=True/m);
  assert.match(stdout, /^HTTPRoute\s+default\s+web/m);
  assert.match(stdout, /^ {2}Parent\s+default\s+web\s+Gateway\/default\/eg: Accepted=True/m);
  const json = JSON.parse((await run(process.execPath, [BIN, 'status', '--admin', serve.admin, '-o', 'json'])).stdout);
  assert.ok(Array.isArray(json.resources));
});

test('a file change is picked up', async () => {
  const before = (await getJson(`${serve.admin}/config_dump`)).version;
  await writeFile(
    join(dir, 'route.yaml'),
    routeYaml({ name: 'web', hostnames: ['www.example.com'], rules: [{ prefix: '/', backendPort: b.port }] }),
  );
  await waitFor('traffic to move to backend b', async () => {
    const r = await through(gwPort, 'www.example.com', '/get');
    return JSON.parse(r.body).backend === 'b';
  });
  const afterDump = await getJson(`${serve.admin}/config_dump`);
  assert.notEqual(afterDump.version, before);
});

test('an unparseable file keeps its previous version serving and is reported with file:line', async () => {
  const version = (await getJson(`${serve.admin}/config_dump`)).version;
  const file = join(dir, 'route.yaml');
  // Line 7 opens a flow sequence that never closes.
  await writeFile(
    file,
    'apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata:\n  name: web\n  namespace: default\nspec:\n  hostnames: [www.example.com\n',
  );
  const status = await waitFor('the parse error in /status', async () => {
    const s = await getJson(`${serve.admin}/status`);
    return s.diagnostics.some((d: any) => d.code === 'KEPT_PREVIOUS_VERSION') ? s : undefined;
  });
  const parse = status.diagnostics.find(
    (d: any) => d.severity === 'error' && d.source?.file === file && d.code !== 'KEPT_PREVIOUS_VERSION',
  );
  assert.ok(parse, JSON.stringify(status.diagnostics));
  assert.ok(parse.source.line >= 7, `line ${parse.source.line}`);
  assert.match(parse.text, new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+: error: `));
  assert.equal(status.lastReload.ok, false);
  assert.equal(status.files.find((f: any) => f.file === file).parsed, false);
  // Still serving the previous version of route.yaml.
  assert.equal(status.version, version);
  const r = await through(gwPort, 'www.example.com', '/get');
  assert.equal(JSON.parse(r.body).backend, 'b');
  // The error is in the log too, once, with file and line.
  assert.ok(serve.logs.some((l) => l.file === file && typeof l.line === 'number' && l.level === 50));
  const metrics = await (await fetch(`${serve.admin}/metrics`)).text();
  assert.match(metrics, /^portunus_config_reload_errors_total [1-9]\d*$/m);
  assert.match(metrics, /^portunus_config_last_reload_success 0$/m);
});

test('a resource rejected by validation is left out; the rest of the input is served', async () => {
  // Put route.yaml back, and add a file with one valid and one invalid route.
  await writeFile(
    join(dir, 'route.yaml'),
    routeYaml({ name: 'web', hostnames: ['www.example.com'], rules: [{ prefix: '/', backendPort: a.port }] }),
  );
  const extra = join(dir, 'extra.yaml');
  await writeFile(
    extra,
    `${routeYaml({ name: 'other', hostnames: ['other.example.com'], rules: [{ prefix: '/', backendPort: b.port }] })}---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: broken
  namespace: default
spec:
  parentRefs:
    - name: eg
  rules:
    - matches:
        - path:
            type: NotAPathType
            value: /x
`,
  );
  await waitFor('the valid new route to serve', async () => {
    const r = await through(gwPort, 'other.example.com', '/');
    return r.status === 200 && JSON.parse(r.body).backend === 'b';
  });
  const www = await through(gwPort, 'www.example.com', '/get');
  assert.equal(JSON.parse(www.body).backend, 'a');
  const status = await getJson(`${serve.admin}/status`);
  const rejected = status.diagnostics.find((d: any) => d.resource?.name === 'broken');
  assert.ok(rejected, JSON.stringify(status.diagnostics));
  assert.equal(rejected.source.file, extra);
  assert.ok(rejected.source.line > 1);
  assert.ok(!status.resources.some((r: any) => r.metadata.name === 'broken'));
  assert.equal(status.files.find((f: any) => f.file === extra).parsed, true);
});

test('an unchanged configuration is not applied again', async () => {
  const before = await getJson(`${serve.admin}/config_dump`);
  const reloadedAt = (await getJson(`${serve.admin}/status`)).lastReload.time;
  // Same resources, different bytes (a comment): reloads, but the IR hash is the same.
  const file = join(dir, 'gateway.yaml');
  await writeFile(file, `# edited\n${gatewayYaml([{ name: 'http', port: gwPort }])}`);
  await waitFor('the reload', async () => {
    const s = await getJson(`${serve.admin}/status`);
    return s.lastReload.time !== reloadedAt ? s : undefined;
  });
  const afterDump = await getJson(`${serve.admin}/config_dump`);
  assert.equal(afterDump.version, before.version);
  assert.equal(afterDump.appliedAt, before.appliedAt);
});

test('successive saves by rename (as editors and config tools write) are each picked up', async () => {
  const file = join(dir, 'route.yaml');
  for (let i = 0; i < 10; i++) {
    const backend = i % 2 === 0 ? b : a;
    await writeAtomic(
      file,
      routeYaml({ name: 'web', hostnames: ['www.example.com'], rules: [{ prefix: '/', backendPort: backend.port }] }),
    );
    await waitFor(
      `save ${i + 1} to be served`,
      async () =>
        JSON.parse((await through(gwPort, 'www.example.com', '/get')).body).backend === (i % 2 === 0 ? 'b' : 'a'),
      3_000,
    );
  }
});

test('SIGHUP re-reads the files', async () => {
  const before = (await getJson(`${serve.admin}/status`)).lastReload.time;
  serve.child.kill('SIGHUP');
  await waitFor('a reload', async () => (await getJson(`${serve.admin}/status`)).lastReload.time !== before);
  assert.ok(serve.logs.some((l) => l.msg === 'reloading' && l.signal === 'SIGHUP'));
  assert.equal((await fetch(`${serve.admin}/healthz`)).status, 200, 'still running');
});
