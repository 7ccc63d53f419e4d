// The quickstart as a user runs it: `npm start` (examples/quickstart/start.ts), then curl.
// It uses the fixed ports the README promises (8080, 3000, 19000); when one of them is taken on
// this machine the end-to-end case cannot run and says so.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { CHILD_PATH, ROOT, through, waitFor } from './harness.ts';

async function portFree(port: number): Promise<boolean> {
  const srv = createServer();
  srv.listen(port, '0.0.0.0');
  try {
    await once(srv, 'listening');
    return true;
  } catch {
    return false;
  } finally {
    srv.close();
  }
}

test('npm start serves www.example.com from the echo backend', async (t) => {
  const busy: number[] = [];
  for (const p of [8080, 3000, 19000]) if (!(await portFree(p))) busy.push(p);
  if (busy.length > 0) {
    t.skip(`quickstart ports in use on this machine: ${busy.join(', ')}`);
    return;
  }
  const child = spawn(process.execPath, [join(ROOT, 'examples/quickstart/start.ts')], {
    cwd: ROOT,
    env: { ...process.env, PATH: CHILD_PATH },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d) => {
    output += d;
  });
  child.stderr!.on('data', (d) => {
    output += d;
  });
  const exited = once(child, 'exit');
  try {
    const res = await waitFor(
      'the quickstart to answer',
      async () => {
        const r = await through(8080, 'www.example.com', '/get');
        return r.status === 200 ? r : undefined;
      },
      15_000,
      100,
    );
    const body = JSON.parse(res.body);
    assert.equal(body.path, '/get');
    assert.equal(body.host, 'www.example.com');
    const status = (await (await fetch('http://127.0.0.1:19000/status')).json()) as { applyErrors: unknown[] };
    assert.deepEqual(status.applyErrors, []);
  } catch (err) {
    throw new Error(`${(err as Error).message}\n--- quickstart output ---\n${output}`);
  } finally {
    child.kill('SIGTERM');
    const [code] = await exited;
    assert.equal(code, 0, output);
  }
});
