import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import { echoRequest } from '../helpers/echo.ts';

const BIN = new URL('../../bin/portunus.js', import.meta.url).pathname;

test('portunus echo serves on the given port and exits 0 on SIGTERM', async (t) => {
  const child = spawn(process.execPath, [BIN, 'echo', '--port', '0', '--pod', 'cli-pod', '--namespace', 'cli-ns'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, POD_NAME: 'from-env', NAMESPACE: 'from-env' },
  });
  t.after(() => child.kill('SIGKILL'));
  let out = '';
  child.stdout.setEncoding('utf8');
  const listening = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (d: string) => {
      out += d;
      const m = /listening on (127\.0\.0\.1:\d+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`exited early (${code}): ${out}`)));
    setTimeout(() => reject(new Error(`no listening line within 10s: ${out}`)), 10_000).unref();
  });
  const address = await listening;
  const got = await echoRequest(`http://${address}/from-cli`);
  assert.equal(got.body.pod, 'cli-pod', 'flags win over the environment');
  assert.equal(got.body.namespace, 'cli-ns');
  child.kill('SIGTERM');
  const [code] = await once(child, 'exit');
  assert.equal(code, 0);
});

test('portunus echo rejects a bad port with usage status 2', async () => {
  const child = spawn(process.execPath, [BIN, 'echo', '--port', 'eighty'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d: string) => {
    err += d;
  });
  const [code] = await once(child, 'exit');
  assert.equal(code, 2);
  assert.match(err, /invalid port 'eighty'/);
});
