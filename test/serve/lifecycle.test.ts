// Starting and stopping `portunus serve`: usage errors, missing paths, graceful drain on SIGTERM.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import {
  BIN,
  CHILD_PATH,
  freePort,
  gatewayYaml,
  ROOT,
  routeYaml,
  serviceYaml,
  spawnServe,
  startBackend,
  tempDir,
  through,
  waitFor,
} from './harness.ts';

const run = promisify(execFile);
const env = { ...process.env, PATH: CHILD_PATH };

async function exitOf(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { cwd: ROOT, env });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

test('--help prints usage and exits 0', async () => {
  const r = await exitOf(['serve', '--help']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /Usage: portunus serve -f PATH/);
  assert.match(r.stdout, /--access-log/);
});

test('bad usage exits 2 with a message', async () => {
  for (const args of [
    ['serve'],
    ['serve', '-f', 'x', '--access-log', 'xml'],
    ['serve', '-f', 'x', '--admin-port', 'abc'],
    ['serve', '--bogus'],
  ]) {
    const r = await exitOf(args);
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.stderr, /^portunus serve: /, args.join(' '));
  }
});

test('a path that does not exist exits 1 with a clear message', async () => {
  const r = await exitOf(['serve', '-f', '/nonexistent/portunus-manifests', '--admin-port', '0']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /portunus serve: no such file or directory: \/nonexistent\/portunus-manifests/);
});

test('an admin port in use exits 1 with a clear message', async () => {
  const { dir, cleanup } = await tempDir();
  await writeFile(join(dir, 'gw.yaml'), gatewayYaml([{ name: 'http', port: await freePort() }]));
  const first = await spawnServe({ args: ['-f', dir, '--bind-address', '127.0.0.1'] });
  try {
    const port = new URL(first.admin).port;
    const r = await exitOf(['serve', '-f', dir, '--admin-port', port]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`admin server cannot listen on 127\\.0\\.0\\.1:${port}: EADDRINUSE`));
  } finally {
    await first.stop();
    await cleanup();
  }
});

test('portunus status without a server exits 1 and says why', async () => {
  const port = await freePort();
  const r = await exitOf(['status', '--admin', `http://127.0.0.1:${port}`]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /cannot get http:\/\/127\.0\.0\.1:\d+\/status: ECONNREFUSED/);
});

test('SIGTERM lets in-flight requests finish, then exits 0', async () => {
  const backend = await startBackend('a');
  const { dir, cleanup } = await tempDir();
  const port = await freePort();
  await writeFile(
    join(dir, 'all.yaml'),
    `${gatewayYaml([{ name: 'http', port }])}---\n${serviceYaml(`svc-${backend.port}`, backend.port)}---\n${routeYaml({
      name: 'web',
      hostnames: ['www.example.com'],
      rules: [{ prefix: '/', backendPort: backend.port }],
    })}`,
  );
  const serve = await spawnServe({ args: ['-f', dir, '--bind-address', '127.0.0.1', '--drain-timeout', '5000'] });
  try {
    await waitFor('ready', async () => (await fetch(`${serve.admin}/readyz`)).status === 200);
    assert.equal((await through(port, 'www.example.com', '/')).status, 200);
    // A request that takes 800 ms upstream, in flight when the signal arrives.
    const inflight = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port, path: '/slow?ms=800', headers: { host: 'www.example.com' }, agent: false },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => {
            body += d;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end();
    });
    await waitFor('the slow request to reach the backend', () => (backend.hits.get('/slow') ?? 0) > 0);
    const t0 = Date.now();
    serve.child.kill('SIGTERM');
    const res = await inflight;
    assert.equal(res.status, 200);
    assert.equal(JSON.parse(res.body).path, '/slow?ms=800');
    const code = await serve.exited;
    assert.equal(code, 0, serve.stderr());
    assert.ok(Date.now() - t0 < 5_000, 'exited well within the drain bound');
    assert.ok(serve.logs.some((l) => l.msg === 'shutting down' && l.signal === 'SIGTERM'));
    assert.ok(serve.logs.some((l) => l.msg === 'stopped'));
    // Nothing listens any more.
    await assert.rejects(through(port, 'www.example.com', '/'), { code: 'ECONNREFUSED' });
  } finally {
    await serve.stop();
    await backend.close();
    await cleanup();
  }
});

test('--access-log text writes Envoy-like lines; off writes none', async () => {
  const backend = await startBackend('a');
  const { dir, cleanup } = await tempDir();
  const port = await freePort();
  await writeFile(
    join(dir, 'all.yaml'),
    `${gatewayYaml([{ name: 'http', port }])}---\n${serviceYaml(`svc-${backend.port}`, backend.port)}---\n${routeYaml({
      name: 'web',
      hostnames: ['www.example.com'],
      rules: [{ prefix: '/', backendPort: backend.port }],
    })}`,
  );
  try {
    for (const format of ['text', 'off']) {
      const serve = await spawnServe({ args: ['-f', dir, '--bind-address', '127.0.0.1', '--access-log', format] });
      try {
        await waitFor('ready', async () => (await fetch(`${serve.admin}/readyz`)).status === 200);
        assert.equal((await through(port, 'www.example.com', `/${format}?a=1`)).status, 200);
        assert.equal((await through(port, 'nope.example', '/miss')).status, 404);
        if (format === 'text') {
          const lines = await waitFor('two access log lines', () => {
            const l = serve.stdout().trimEnd().split('\n');
            return l.length >= 2 ? l : undefined;
          });
          assert.match(
            lines[0]!,
            new RegExp(
              `^\\[\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z\\] "GET /text\\?a=1 HTTP/1\\.1" 200 - 0 \\d+ \\d+ \\d+ "127\\.0\\.0\\.1[^"]*" "-" "[^"]+" "www\\.example\\.com" "127\\.0\\.0\\.1:${backend.port}" \\S+ HTTPRoute/default/web default/eg/http$`,
            ),
          );
          assert.match(lines[1]!, /"GET \/miss HTTP\/1\.1" 404 NR 0 0 \d+ - /);
        } else {
          // Let a batch that would have been written get written.
          await new Promise((r) => setTimeout(r, 100));
          assert.equal(serve.stdout(), '');
        }
      } finally {
        assert.equal(await serve.stop(), 0);
      }
    }
  } finally {
    await backend.close();
    await cleanup();
  }
});
