// Gateway API conformance (v1.6.1) timeouts, retries, CORS and backend protocols (h2c, WebSocket) with real traffic through `portunus serve`.
// Tables transcribed from upstream conformance/tests/<name>.go; see README.md.

import { after, test } from 'node:test';
import { INFRA, infra } from '../conformance/harness.ts';
import { startEnv } from './env.ts';
import { randomUUID } from 'node:crypto';
import { connect as h2connect } from 'node:http2';
import { type ExpectedResponse, type RoundTrip, compareRoundTrip, roundTrip, runCases } from './http.ts';

const ns = INFRA;

const env = await startEnv({
  manifests: [
    'httproute-cors.yaml',
    'httproute-timeout-backend-request.yaml',
    'httproute-timeout-request.yaml',
    'httproute-retry.yaml',
    'httproute-backend-protocol-h2c.yaml',
    'httproute-backend-protocol-websocket.yaml',
  ],
});
after(() => env.close());

test('HTTPRouteTimeoutRequest', { concurrency: true }, async (t) => {
  await env.use(['httproute-timeout-request.yaml']);
  await runCases(t, env.gatewayAddr(infra('same-namespace')), [
    {
      Request: { Path: '/request-timeout' },
      Response: { StatusCode: 200 },
      Namespace: ns,
    },
    {
      Request: { Path: '/request-timeout?delay=1s' },
      Response: { StatusCode: 504 },
      Namespace: ns,
    },
    {
      Request: { Path: '/disable-request-timeout?delay=1s' },
      Response: { StatusCode: 200 },
      Namespace: ns,
    },
  ]);
});

test('HTTPRouteTimeoutBackendRequest', { concurrency: true }, async (t) => {
  await env.use(['httproute-timeout-backend-request.yaml']);
  await runCases(t, env.gatewayAddr(infra('same-namespace')), [
    {
      Request: { Path: '/backend-timeout' },
      Response: { StatusCode: 200 },
      Namespace: ns,
    },
    {
      Request: { Path: '/backend-timeout?delay=1s' },
      Response: { StatusCode: 504 },
      Namespace: ns,
    },
    {
      Request: { Path: '/disable-backend-timeout?delay=1s' },
      Response: { StatusCode: 200 },
      Namespace: ns,
    },
  ]);
});

test('HTTPRouteCORS', { concurrency: true }, async (t) => {
  await env.use(['httproute-cors.yaml']);
  await runCases(t, env.gatewayAddr(infra('same-namespace')), [
    {
      TestCaseName: 'CORS preflight request from an exact matching origin should be allowed',
      Request: {
        Path: '/cors-1',
        Method: 'OPTIONS',
        Headers: {
          Origin: 'https://www.foo.com',
          'access-control-request-method': 'GET',
          'access-control-request-headers': 'x-header-1, x-header-2',
        },
      },
      ExpectedRequest: {
        Request: {
          Host: '',
          Method: 'OPTIONS',
          Path: '',
          Headers: undefined,
        },
      },
      Namespace: '',
      Response: {
        StatusCodes: [200, 204],
        ValidHeaderValues: {
          'access-control-allow-origin': ['https://www.foo.com'],
          'access-control-allow-methods': ['GET, OPTIONS', 'OPTIONS, GET'],
          'access-control-allow-headers': ['x-header-1, x-header-2', 'x-header-2, x-header-1'],
          'access-control-expose-headers': ['x-header-3, x-header-4', 'x-header-4, x-header-3'],
          'access-control-max-age': ['3600'],
          'access-control-allow-credentials': ['true'],
        },
        IgnoreWhitespace: true,
      },
    },
    {
      TestCaseName: 'CORS preflight request from a wildcard matching origin should be allowed',
      Request: {
        Path: '/cors-1',
        Method: 'OPTIONS',
        Headers: {
          Origin: 'https://www.bar.com',
          'access-control-request-method': 'GET',
          'access-control-request-headers': 'x-header-1, x-header-2',
        },
      },
      ExpectedRequest: {
        Request: {
          Host: '',
          Method: 'OPTIONS',
          Path: '',
          Headers: undefined,
        },
      },
      Namespace: '',
      Response: {
        StatusCodes: [200, 204],
        ValidHeaderValues: {
          'access-control-allow-origin': ['https://www.bar.com'],
          'access-control-allow-methods': ['GET, OPTIONS', 'OPTIONS, GET'],
          'access-control-allow-headers': ['x-header-1, x-header-2', 'x-header-2, x-header-1'],
          'access-control-expose-headers': ['x-header-3, x-header-4', 'x-header-4, x-header-3'],
          'access-control-max-age': ['3600'],
          'access-control-allow-credentials': ['true'],
        },
        IgnoreWhitespace: true,
      },
    },
    {
      TestCaseName:
        "CORS preflight request from a wildcard matching any number of periods left to '*' should be allowed",
      Request: {
        Path: '/cors-1',
        Method: 'OPTIONS',
        Headers: {
          Origin: 'https://xpto.www.bar.com',
          'access-control-request-method': 'GET',
          'access-control-request-headers': 'x-header-1, x-header-2',
        },
      },
      ExpectedRequest: {
        Request: {
          Host: '',
          Method: 'OPTIONS',
          Path: '',
          Headers: undefined,
        },
      },
      Namespace: '',
      Response: {
        StatusCodes: [200, 204],
        ValidHeaderValues: {
          'access-control-allow-origin': ['https://xpto.www.bar.com'],
          'access-control-allow-methods': ['GET, OPTIONS', 'OPTIONS, GET'],
          'access-control-allow-headers': ['x-header-1, x-header-2', 'x-header-2, x-header-1'],
          'access-control-expose-headers': ['x-header-3, x-header-4', 'x-header-4, x-header-3'],
          'access-control-max-age': ['3600'],
          'access-control-allow-credentials': ['true'],
        },
        IgnoreWhitespace: true,
      },
    },
    {
      TestCaseName: 'CORS preflight request from a non-matching origin should not be allowed',
      Request: {
        Path: '/cors-1',
        Method: 'OPTIONS',
        Headers: {
          Origin: 'https://foobar.com',
          'access-control-request-method': 'GET',
        },
      },
      ExpectedRequest: {
        Request: {
          Host: '',
          Method: 'OPTIONS',
          Path: '',
          Headers: undefined,
        },
      },
      Namespace: '',
      Response: {
        StatusCodes: [200, 204, 403],
        AbsentHeaders: ['access-control-allow-origin'],
      },
    },
    {
      TestCaseName: 'Simple request from an exact matching origin should be allowed',
      Namespace: ns,
      Request: {
        Path: '/cors-1',
        Method: 'GET',
        Headers: {
          Origin: 'https://www.foo.com',
          'access-control-request-method': 'GET',
          'access-control-request-headers': 'x-header-1, x-header-2',
        },
      },
      Response: {
        StatusCode: 200,
        Headers: {
          'access-control-allow-origin': 'https://www.foo.com',
        },
      },
    },
    {
      TestCaseName: 'Simple request from a wildcard matching origin should be allowed',
      Namespace: ns,
      Request: {
        Path: '/cors-1',
        Method: 'GET',
        Headers: {
          Origin: 'https://www.bar.com',
          'access-control-request-method': 'GET',
          'access-control-request-headers': 'x-header-1, x-header-2',
        },
      },
      Response: {
        StatusCode: 200,
        Headers: {
          'access-control-allow-origin': 'https://www.bar.com',
        },
      },
    },
    {
      TestCaseName: 'Simple request from a non-matching origin should not be allowed',
      Namespace: ns,
      Request: {
        Path: '/cors-1',
        Method: 'GET',
        Headers: {
          Origin: 'https://foobar.com',
          'access-control-request-method': 'GET',
        },
      },
      Response: {
        AbsentHeaders: ['access-control-allow-origin'],
      },
    },
    {
      TestCaseName: 'CORS preflight request with POST method should be allowed by allowMethods with wildcard',
      Request: {
        Path: '/cors-2',
        Method: 'OPTIONS',
        Headers: {
          Origin: 'https://www.foo.com',
          'access-control-request-method': 'POST',
        },
      },
      ExpectedRequest: {
        Request: {
          Host: '',
          Method: 'OPTIONS',
          Path: '',
          Headers: undefined,
        },
      },
      Namespace: '',
      Response: {
        StatusCodes: [200, 204],
        ValidHeaderValues: {
          'access-control-allow-methods': ['POST', '*'],
        },
        Headers: {
          'access-control-allow-origin': 'https://www.foo.com',
        },
        AbsentHeaders: ['access-control-allow-credentials'],
      },
    },
    {
      TestCaseName:
        'CORS preflight request should not receive access-control-allow-credentials header without access-control-allow-credentials set to true',
      Request: {
        Path: '/cors-2',
        Method: 'OPTIONS',
        Headers: {
          Origin: 'https://www.foo.com',
          'access-control-request-method': 'POST',
        },
      },
      ExpectedRequest: {
        Request: {
          Host: '',
          Method: 'OPTIONS',
          Path: '',
          Headers: undefined,
        },
      },
      Namespace: '',
      Response: {
        StatusCodes: [200, 204],
        AbsentHeaders: ['Access-Control-Allow-Credentials'],
      },
    },
    {
      TestCaseName:
        "CORS preflight request from a wildcard origin should return header with '*' or with the requested Origin",
      Namespace: '',
      Request: {
        Path: '/cors-wildcard-origin',
        Method: 'OPTIONS',
        Headers: {
          Origin: 'https://foobar.com',
          'access-control-request-method': 'PUT',
        },
      },
      ExpectedRequest: {
        Request: {
          Host: '',
          Method: 'OPTIONS',
          Path: '',
          Headers: undefined,
        },
      },
      Response: {
        StatusCodes: [200, 204],
        ValidHeaderValues: {
          'access-control-allow-origin': ['https://foobar.com', '*'],
          'access-control-allow-methods': ['PUT'],
        },
        AbsentHeaders: ['Access-Control-Allow-Credentials'],
      },
    },
    {
      TestCaseName:
        "CORS preflight request from a wildcard origin containing a port should return header with '*' or with the requested Origin",
      Namespace: '',
      Request: {
        Path: '/cors-wildcard-origin',
        Method: 'OPTIONS',
        Headers: {
          Origin: 'https://foobar.com:12345',
          'access-control-request-method': 'PUT',
        },
      },
      ExpectedRequest: {
        Request: {
          Host: '',
          Method: 'OPTIONS',
          Path: '',
          Headers: undefined,
        },
      },
      Response: {
        StatusCodes: [200, 204],
        ValidHeaderValues: {
          'access-control-allow-origin': ['https://foobar.com:12345', '*'],
          'access-control-allow-methods': ['PUT'],
        },
        AbsentHeaders: ['Access-Control-Allow-Credentials'],
      },
    },
    {
      TestCaseName:
        "Request from a wildcard origin containing a port should return header with '*' or with the requested Origin",
      Namespace: ns,
      Request: {
        Path: '/cors-wildcard-origin',
        Method: 'PUT',
        Headers: {
          Origin: 'https://foobar.com:12345',
        },
      },
      Response: {
        StatusCode: 200,
        ValidHeaderValues: {
          'access-control-allow-origin': ['https://foobar.com:12345', '*'],
        },
      },
    },
    {
      TestCaseName: "Simple request from a wildcard origin should return header with '*' or with the requested Origin",
      Namespace: ns,
      Request: {
        Path: '/cors-wildcard-origin',
        Method: 'PUT',
        Headers: {
          Origin: 'https://foobar.com',
        },
      },
      Response: {
        StatusCode: 200,
        ValidHeaderValues: {
          'access-control-allow-origin': ['https://foobar.com', '*'],
        },
        AbsentHeaders: ['Access-Control-Allow-Credentials'],
      },
    },
    {
      TestCaseName:
        'CORS preflight request requesting specific method and headers should be allowed and always echo the origin with allowCredentials set to true',
      Request: {
        Path: '/cors-wildcard-methods-headers',
        Method: 'OPTIONS',
        Headers: {
          Origin: 'https://other.foo.com',
          'access-control-request-method': 'PUT',
          'access-control-request-headers': 'x-header-1, x-header-2',
        },
      },
      ExpectedRequest: {
        Request: {
          Host: '',
          Method: 'OPTIONS',
          Path: '',
          Headers: undefined,
        },
      },
      Namespace: '',
      Response: {
        StatusCodes: [200, 204],
        ValidHeaderValues: {
          'access-control-allow-origin': ['https://other.foo.com'],
          'access-control-allow-methods': ['PUT'],
          'access-control-allow-headers': ['x-header-1, x-header-2', 'x-header-2, x-header-1'],
          'access-control-allow-credentials': ['true'],
        },
        IgnoreWhitespace: true,
      },
    },
    {
      TestCaseName:
        'CORS preflight request requesting specific method and headers should hide access-control-allow-credentials headers with allowCredentials set to false',
      Request: {
        Path: '/cors-wildcard-methods-headers-unauth',
        Method: 'OPTIONS',
        Headers: {
          Origin: 'https://other.foo.com',
          'access-control-request-method': 'PUT',
          'access-control-request-headers': 'x-header-1, x-header-2',
        },
      },
      ExpectedRequest: {
        Request: {
          Host: '',
          Method: 'OPTIONS',
          Path: '',
          Headers: undefined,
        },
      },
      Namespace: '',
      Response: {
        StatusCodes: [200, 204],
        ValidHeaderValues: {
          'access-control-allow-origin': ['https://other.foo.com', '*'],
          'access-control-allow-methods': ['PUT', '*'],
          'access-control-allow-headers': ['x-header-1, x-header-2', 'x-header-2, x-header-1', '*'],
        },
        AbsentHeaders: ['access-control-allow-credentials'],
        IgnoreWhitespace: true,
      },
    },
    {
      TestCaseName:
        'CORS request should receive access-control-allow-credentials header with allowCredentials set to true',
      Request: {
        Path: '/cors-wildcard-methods-headers',
        Method: 'GET',
        Headers: {
          Origin: 'https://other.foo.com',
        },
      },
      Namespace: ns,
      Response: {
        StatusCode: 200,
        ValidHeaderValues: {
          'access-control-allow-origin': ['https://other.foo.com'],
          'access-control-allow-credentials': ['true'],
        },
      },
    },
    {
      TestCaseName:
        'CORS request should not receive access-control-allow-credentials header without allowCredentials set to true',
      Request: {
        Path: '/cors-wildcard-methods-headers-unauth',
        Method: 'GET',
        Headers: {
          Origin: 'https://other.foo.com',
        },
      },
      Namespace: ns,
      Response: {
        StatusCode: 200,
        ValidHeaderValues: {
          'access-control-allow-origin': ['https://other.foo.com', '*'],
        },
        AbsentHeaders: ['access-control-allow-credentials'],
      },
    },
  ]);
});

// httproute-retry.go assertConsistentRetryBehaviour: each attempt uses a fresh uuid, so the echo's
// retry simulation starts over; RequiredConsecutiveSuccesses attempts in a row must match.
const retryCases: { name: string; path: string; config: Record<string, string>; want: number }[] = [
  [
    'succeeds after 2 retries when retry is configured for status code 500 and max attempts is 3',
    '/retry/code-500-attempts-3',
    '500',
    '2',
    200,
  ],
  ['fails when required retries on 500 exceed max attempts', '/retry/code-500-attempts-3', '500', '4', 500],
  [
    'does not retry on 503 when retry is only configured for status code 500',
    '/retry/code-500-attempts-3',
    '503',
    '2',
    503,
  ],
  [
    'succeeds after 1 retry on 500 when retry is configured for all status code and max attempts is 2',
    '/retry/code-all-attempts-2',
    '500',
    '1',
    200,
  ],
  ['fails when required retries on 500 exceed max attempts', '/retry/code-all-attempts-2', '500', '3', 500],
  [
    'succeeds after 1 retry on 502 when retry is configured for all status code and max attempts is 2',
    '/retry/code-all-attempts-2',
    '502',
    '1',
    200,
  ],
  ['fails when required retries on 502 exceed max attempts', '/retry/code-all-attempts-2', '502', '3', 502],
  [
    'succeeds after 1 retry on 503 when retry is configured for all status code and max attempts is 2',
    '/retry/code-all-attempts-2',
    '503',
    '1',
    200,
  ],
  ['fails when required retries on 503 exceed max attempts', '/retry/code-all-attempts-2', '503', '3', 503],
  [
    'succeeds after 1 retry on 504 when retry is configured for all status code and max attempts is 2',
    '/retry/code-all-attempts-2',
    '504',
    '1',
    200,
  ],
  ['fails when required retries on 504 exceed max attempts', '/retry/code-all-attempts-2', '504', '3', 504],
].map(([name, path, responseCode, succeedAfter, want]) => ({
  name: name as string,
  path: path as string,
  config: { responseCode: responseCode as string, succeedAfter: succeedAfter as string },
  want: want as number,
}));

test('HTTPRouteRetry', { concurrency: true }, async (t) => {
  await env.use(['httproute-retry.yaml']);
  const addr = env.gatewayAddr(infra('same-namespace'));
  await Promise.all(
    retryCases.map((tc, i) =>
      t.test(`${i} request to '${tc.path}' ${tc.name}`, async () => {
        let successes = 0;
        let last = '';
        const deadline = Date.now() + 10_000;
        while (successes < 3) {
          // url.Values.Encode: keys sorted.
          const q = new URLSearchParams({ ...tc.config, uuid: randomUUID() });
          q.sort();
          const expected: ExpectedResponse = {
            Request: { Path: `${tc.path}?${q.toString()}` },
            Response: { StatusCode: tc.want },
            Backend: 'infra-backend-v3',
            Namespace: ns,
          };
          const problem = await roundTrip(addr, expected.Request, { 'X-Echo-Set-Header': '' }).then(
            (rt) => compareRoundTrip(expected.Request, rt, expected),
            (err: Error) => `request failed: ${err.message}`,
          );
          if (problem === null) {
            successes++;
            continue;
          }
          successes = 0;
          last = problem;
          if (Date.now() > deadline) throw new Error(`no consistent response: ${last}`);
          await new Promise((r) => setTimeout(r, 250));
        }
      }),
    ),
  );
});

/** roundtripper's H2CPriorKnowledgeProtocol: HTTP/2 over cleartext without upgrade. */
function roundTripH2c(addr: string, path: string): Promise<RoundTrip> {
  return new Promise((resolve, reject) => {
    const session = h2connect(`http://${addr}`);
    session.on('error', reject);
    const req = session.request({ ':method': 'GET', ':path': path, 'x-echo-set-header': '' });
    req.setTimeout(10_000, () => req.destroy(new Error('request timed out')));
    const chunks: Buffer[] = [];
    let head: Record<string, string | string[] | undefined> = {};
    req.on('response', (h) => {
      head = h;
    });
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('error', (err) => {
      session.close();
      reject(err);
    });
    req.on('end', () => {
      session.close();
      const text = Buffer.concat(chunks).toString('utf8');
      const headers: Record<string, string[]> = {};
      for (const [k, v] of Object.entries(head)) {
        if (!k.startsWith(':') && v !== undefined) headers[k] = Array.isArray(v) ? v : [String(v)];
      }
      const json = head['content-type'] === 'application/json';
      resolve({
        req: json
          ? JSON.parse(text)
          : { path: '', host: '', method: 'GET', proto: '', headers: {}, namespace: '', pod: '', httpPort: '' },
        res: { statusCode: Number(head[':status']), protocol: 'HTTP/2.0', headers, body: text, redirect: null },
      });
    });
    req.end();
  });
}

test('HTTPRouteBackendProtocolH2C', async (t) => {
  await env.use(['httproute-backend-protocol-h2c.yaml']);
  const addr = env.gatewayAddr(infra('same-namespace'));
  await t.test('http2 prior knowledge request should reach backend', async () => {
    const expected: ExpectedResponse = {
      Request: { Path: '/', Protocol: 'H2C_PRIOR_KNOWLEDGE' },
      Response: { StatusCode: 200 },
      Backend: 'infra-backend-v1',
      Namespace: INFRA,
    };
    let successes = 0;
    let last = '';
    const deadline = Date.now() + 10_000;
    while (successes < 3) {
      const problem = await roundTripH2c(addr, '/').then(
        (rt) => compareRoundTrip(expected.Request, rt, expected),
        (err: Error) => `request failed: ${err.message}`,
      );
      if (problem === null) {
        successes++;
        continue;
      }
      successes = 0;
      last = problem;
      if (Date.now() > deadline) throw new Error(`no consistent response: ${last}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  });
});

/** One WebSocket exchange as upstream: a text frame and a binary frame echoed back. */
async function websocketExchange(addr: string): Promise<string | null> {
  const ws = new WebSocket(`ws://${addr}/ws`);
  ws.binaryType = 'arraybuffer';
  const messages: (string | ArrayBuffer)[] = [];
  const waiters: (() => void)[] = [];
  ws.onmessage = (ev) => {
    messages.push(ev.data as string | ArrayBuffer);
    waiters.shift()?.();
  };
  const next = (): Promise<string | ArrayBuffer> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no reply within 5 s')), 5_000);
      const take = () => {
        clearTimeout(timer);
        resolve(messages.shift()!);
      };
      if (messages.length > 0) take();
      else waiters.push(take);
    });
  try {
    await new Promise<void>((resolve, reject) => {
      ws.onopen = () => resolve();
      ws.onerror = () => reject(new Error('failed to dial'));
    });
    ws.send('Websocket Support!');
    const text = await next();
    if (text !== 'Websocket Support!') return `unexpected reply - want: Websocket Support! got: ${String(text)}`;
    const binary = new Uint8Array([1, 2, 3, 4, 5, 6, 7]);
    ws.send(binary);
    const reply = await next();
    if (!(reply instanceof ArrayBuffer) || !Buffer.from(reply).equals(Buffer.from(binary)))
      return `unexpected binary reply: ${String(reply)}`;
    return null;
  } catch (err) {
    return (err as Error).message;
  } finally {
    ws.close();
  }
}

test('HTTPRouteBackendProtocolWebSocket', async (t) => {
  await env.use(['httproute-backend-protocol-websocket.yaml']);
  const addr = env.gatewayAddr(infra('same-namespace'));
  await t.test('websocket connection should reach backend', async () => {
    let successes = 0;
    let last = '';
    const deadline = Date.now() + 10_000;
    while (successes < 3) {
      const problem = await websocketExchange(addr);
      if (problem === null) {
        successes++;
        continue;
      }
      successes = 0;
      last = problem;
      if (Date.now() > deadline) throw new Error(`no consistent exchange: ${last}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  });
});
