// biome-ignore-all lint/suspicious/noExplicitAny: JSON from the admin API is probed field by field
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Resource } from '../../src/api/types.ts';
import { renderTable } from '../../src/cli/status.ts';
import type { IR } from '../../src/ir/types.ts';
import { foldApplyErrors, preserveTransitionTimes } from '../../src/serve/statusview.ts';

const T0 = '2026-01-01T00:00:00Z';
const T1 = '2026-01-01T00:01:00Z';

function cond(type: string, status: 'True' | 'False', reason: string, time = T0) {
  return { type, status, reason, message: '', observedGeneration: 1, lastTransitionTime: time };
}

function gateway(time = T0): Resource {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: { name: 'eg', namespace: 'default', generation: 1 },
    status: {
      conditions: [cond('Accepted', 'True', 'Accepted', time), cond('Programmed', 'True', 'Programmed', time)],
      listeners: ['a', 'b'].map((name) => ({
        name,
        attachedRoutes: 1,
        conditions: [cond('Accepted', 'True', 'Accepted', time), cond('Programmed', 'True', 'Programmed', time)],
      })),
    },
  };
}

function route(time = T0): Resource {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name: 'web', namespace: 'default' },
    status: {
      parents: [
        {
          parentRef: { name: 'eg', sectionName: 'a' },
          controllerName: 'portunus.dev/gateway-controller',
          conditions: [cond('Accepted', 'True', 'Accepted', time)],
        },
      ],
    },
  };
}

const ir = {
  apiVersion: 'portunus.dev/ir/v1',
  gateways: [
    {
      name: 'default/eg',
      namespace: 'default',
      gatewayClassName: 'portunus',
      addresses: [],
      clusters: [],
      listeners: [
        { name: 'default/eg/a', sectionName: 'a', port: 8080, protocol: 'HTTP', hostname: null },
        { name: 'default/eg/b', sectionName: 'b', port: 8081, protocol: 'HTTP', hostname: null },
      ],
    },
  ],
} as IR;

const programmed = (l: any) => l.conditions.find((c: any) => c.type === 'Programmed');

test('an apply error sets Programmed=False on that listener only', () => {
  const docs = [gateway()];
  foldApplyErrors(
    docs,
    ir,
    [{ listener: 'default/eg/a', port: 8080, code: 'EADDRINUSE', message: 'address already in use' }],
    T1,
  );
  const st = docs[0]!.status as any;
  assert.deepEqual(
    { ...programmed(st.listeners[0]), message: undefined },
    {
      type: 'Programmed',
      status: 'False',
      reason: 'Pending',
      message: undefined,
      observedGeneration: 1,
      lastTransitionTime: T1,
    },
  );
  assert.match(programmed(st.listeners[0]).message, /port 8080: EADDRINUSE/);
  assert.equal(programmed(st.listeners[1]).status, 'True');
  assert.equal(programmed(st).status, 'True', 'the gateway serves on its other listener');
});

test('an error naming only a port marks every listener on it; all failing makes the Gateway not Programmed', () => {
  const docs = [gateway()];
  foldApplyErrors(
    docs,
    ir,
    [
      { listener: 'port/8080', port: 8080, code: 'EACCES', message: 'permission denied' },
      { listener: 'default/eg/b', port: 8081, code: 'EACCES', message: 'permission denied' },
    ],
    T1,
  );
  const st = docs[0]!.status as any;
  assert.equal(programmed(st.listeners[0]).reason, 'Invalid');
  assert.equal(programmed(st.listeners[1]).reason, 'Invalid');
  assert.equal(programmed(st).status, 'False');
});

test('conditions that did not change keep their lastTransitionTime across reloads', () => {
  const previous = [gateway(T0), route(T0)];
  const next = [gateway(T1), route(T1)];
  foldApplyErrors(next, ir, [{ listener: 'default/eg/b', port: 8081, code: 'EADDRINUSE', message: 'in use' }], T1);
  preserveTransitionTimes(previous, next);
  const st = next[0]!.status as any;
  assert.equal(st.conditions[0].lastTransitionTime, T0);
  assert.equal(programmed(st.listeners[0]).lastTransitionTime, T0);
  assert.equal(programmed(st.listeners[1]).lastTransitionTime, T1, 'changed to False: new transition time');
  assert.equal((next[1]!.status as any).parents[0].conditions[0].lastTransitionTime, T0);
});

test('portunus status table: resources, listeners, parents, apply errors and diagnostics', () => {
  const docs = [gateway(), route()];
  foldApplyErrors(docs, ir, [{ listener: 'default/eg/b', port: 8081, code: 'EADDRINUSE', message: 'in use' }], T1);
  const text = renderTable({
    version: 'abc',
    ready: true,
    lastReload: { time: T1, ok: false },
    resources: docs as any,
    applyErrors: [{ listener: 'default/eg/b', port: 8081, code: 'EADDRINUSE', message: 'in use' }],
    diagnostics: [{ severity: 'error', message: 'x', text: 'f.yaml:3: error: HTTPRoute/default/bad: nope' }],
    workers: [
      { id: 1, pid: 100, state: 'serving', version: 'abc', restarts: 0 },
      { id: 2, pid: 102, state: 'starting', version: null, restarts: 3 },
    ],
  });
  const lines = text.split('\n');
  assert.match(lines[0]!, /^KIND\s+NAMESPACE\s+NAME\s+CONDITIONS$/);
  assert.match(text, /^Gateway\s+default\s+eg\s+Accepted=True\(Accepted\) Programmed=True\(Programmed\)$/m);
  assert.match(
    text,
    /^ {2}Listener\s+default\s+eg\/b\s+Accepted=True\(Accepted\) Programmed=False\(Pending\) attachedRoutes=1$/m,
  );
  assert.match(text, /^ {2}Parent\s+default\s+web\s+Gateway\/default\/eg\/a: Accepted=True\(Accepted\)$/m);
  assert.match(text, /^version: abc {2}ready: yes {2}last reload: 2026-01-01T00:01:00Z with errors$/m);
  assert.match(text, /^workers: 1:100 serving, 2:102 starting \(version -\) restarts 3$/m);
  assert.match(text, /^LISTENERS NOT SERVING:\n {2}default\/eg\/b port 8081: EADDRINUSE: in use$/m);
  assert.match(text, /^DIAGNOSTICS:\n {2}f\.yaml:3: error: HTTPRoute\/default\/bad: nope$/m);
});
