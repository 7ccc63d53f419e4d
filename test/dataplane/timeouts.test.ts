// Connection timeouts run on the shared coarse sweep: idle keep-alive connections close, slow
// request heads get 408. The sweep is driven directly with a future clock value.
import assert from 'node:assert/strict';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { H1ServerConnection, HEAD_TIMEOUT_MS, IDLE_TIMEOUT_MS } from '../../src/dataplane/http1/connection.ts';
import { noopObserver } from '../../src/dataplane/observer.ts';
import type { PortState } from '../../src/dataplane/port.ts';
import { compileHostTable } from '../../src/dataplane/router/hosts.ts';

async function connectionPair(): Promise<{ client: net.Socket; conn: H1ServerConnection; close(): void }> {
  const state: PortState = {
    port: 0,
    config: {
      port: 0,
      version: 'v',
      portLabel: 'port/0',
      listeners: compileHostTable([]),
      byAddress: null,
      protocol: 'HTTP',
      tls: null,
      connectionLabel: 'port/0',
      sniSplit: null,
    },
    ctx: { observer: noopObserver, logger: { error() {} } },
    connections: new Set(),
    draining: false,
    h2Handoff() {},
  };
  let conn: H1ServerConnection | null = null;
  const server = net.createServer((s) => {
    conn = new H1ServerConnection(s, state);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const client = net.connect((server.address() as AddressInfo).port, '127.0.0.1');
  await new Promise((r) => client.on('connect', r));
  for (let i = 0; i < 100 && conn === null; i++) await new Promise((r) => setTimeout(r, 5));
  return { client, conn: conn!, close: () => server.close() };
}

test('idle keep-alive connections are closed by the sweep, not before', async () => {
  const { client, conn, close } = await connectionPair();
  const closed = new Promise((r) => client.on('close', r));
  conn.sweep(Date.now() + 1000);
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(client.destroyed, false);
  conn.sweep(Date.now() + IDLE_TIMEOUT_MS + 5000);
  await closed;
  close();
});

test('a request head still incomplete after HEAD_TIMEOUT_MS gets 408', async () => {
  const { client, conn, close } = await connectionPair();
  let out = '';
  client.on('data', (c) => (out += c));
  const closed = new Promise((r) => client.on('close', r));
  client.write('GET / HTTP/1.1\r\nHost: x\r\n');
  await new Promise((r) => setTimeout(r, 30));
  client.write('X-Slow: 1\r\n');
  await new Promise((r) => setTimeout(r, 30));
  conn.sweep(Date.now() + HEAD_TIMEOUT_MS + 5000);
  await closed;
  assert.match(out, /^HTTP\/1.1 408 /);
  close();
});
