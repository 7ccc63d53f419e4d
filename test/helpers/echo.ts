// Echo backends for tests: start one on an ephemeral loopback port under a pod name, send it
// requests, and read its JSON answer (the conformance echo server's shape, see src/echo/).
//
//   const backend = await startEcho('infra-backend-v1', { namespace: 'gateway-conformance-infra' });
//   t.after(() => backend.close());
//   const got = await echoRequest(`${backend.url}/path`);  // { status, headers, body: EchoResponseBody }
//   assert.equal(got.body.pod, 'infra-backend-v1');

import assert from 'node:assert/strict';
import {
  type EchoResponseBody,
  type EchoServer,
  type EchoServerOptions,
  startEchoServer,
} from '../../src/echo/index.ts';

export type { EchoResponseBody } from '../../src/echo/index.ts';

export interface StartedEcho extends EchoServer {
  /** http://127.0.0.1:PORT */
  readonly url: string;
  /** 127.0.0.1:PORT, e.g. for a backend address. */
  readonly address: string;
}

/** Starts an echo backend on 127.0.0.1 and an ephemeral port, answering as `pod`. */
export async function startEcho(pod: string, opts: Omit<EchoServerOptions, 'pod'> = {}): Promise<StartedEcho> {
  const server = await startEchoServer({ host: '127.0.0.1', port: 0, ...opts, pod });
  const address = `${server.host}:${server.port}`;
  return {
    host: server.host,
    port: server.port,
    context: server.context,
    close: () => server.close(),
    url: `http://${address}`,
    address,
  };
}

/** Parses and checks an echo answer: throws (an assertion error) when it is not the echo JSON. */
export function parseEcho(body: string | Buffer): EchoResponseBody {
  const text = typeof body === 'string' ? body : body.toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    assert.fail(`not an echo answer (invalid JSON): ${text.slice(0, 200)}`);
  }
  const o = parsed as Record<string, unknown>;
  for (const field of ['path', 'host', 'method', 'proto', 'namespace', 'pod']) {
    assert.equal(typeof o[field], 'string', `echo answer field '${field}' missing: ${text.slice(0, 200)}`);
  }
  assert.equal(typeof o.headers, 'object', 'echo answer has no headers');
  return o as unknown as EchoResponseBody;
}

export interface EchoReply {
  status: number;
  headers: Headers;
  body: EchoResponseBody;
}

/** Sends a request (fetch) and parses the echo answer; asserts a 200. */
export async function echoRequest(url: string, init?: RequestInit): Promise<EchoReply> {
  const res = await fetch(url, init);
  const text = await res.text();
  assert.equal(res.status, 200, `expected 200 from the echo backend, got ${res.status}: ${text.slice(0, 200)}`);
  return { status: res.status, headers: res.headers, body: parseEcho(text) };
}
