import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { modifyPath } from '../../src/dataplane/filters/path.ts';
import { redirectLocation } from '../../src/dataplane/filters/redirect.ts';
import { createDataPlane } from '../../src/dataplane/index.ts';
import type { HTTPFilterIR, HTTPRouteIR } from '../../src/ir/types.ts';
import {
  cluster,
  echoServer,
  type EchoServer,
  forward,
  freePort,
  json,
  match,
  request,
  route,
  simpleIR,
} from './helpers.ts';

const dp = createDataPlane({ bindAddress: '127.0.0.1' });
let port = 0;
let a: EchoServer;
let mirrorEcho: EchoServer;
const mirrored: string[] = [];

function prefixRoute(prefix: string, r: Partial<HTTPRouteIR>): HTTPRouteIR {
  return route({ match: match({ path: { type: 'PathPrefix', value: prefix } }), action: forward('a'), ...r });
}

before(async () => {
  a = await echoServer('a', (req, res) => {
    if (req.url === '/resp/x') {
      res.setHeader('x-remove', 'gone');
      res.setHeader('x-set', 'old');
      res.end('ok');
      return true;
    }
  });
  mirrorEcho = await echoServer('m', (req, _res, body) => {
    mirrored.push(req.url + ' ' + body.toString());
  });
  port = await freePort();
  const reqMod: HTTPFilterIR = {
    type: 'RequestHeaderModifier',
    modifier: {
      set: [
        { name: 'X-Set', value: 'set-value' },
        { name: 'Host', value: 'modified.example' },
      ],
      add: [{ name: 'X-Add', value: 'added' }],
      remove: ['X-Remove'],
    },
  };
  const cors: HTTPFilterIR = {
    type: 'CORS',
    allowOrigins: ['https://www.foo.com', 'https://*.bar.com'],
    allowCredentials: true,
    allowMethods: ['GET', 'OPTIONS'],
    allowHeaders: ['x-header-1', 'x-header-2'],
    exposeHeaders: ['x-header-3', 'x-header-4'],
    maxAge: 3600,
  };
  const routes = [
    prefixRoute('/reqmod', { filters: [reqMod] }),
    prefixRoute('/resp', {
      filters: [
        {
          type: 'ResponseHeaderModifier',
          modifier: {
            set: [{ name: 'X-Set', value: 'new' }],
            add: [{ name: 'X-Add', value: 'a1' }],
            remove: ['x-remove'],
          },
        },
      ],
    }),
    prefixRoute('/prefix/one', {
      filters: [
        { type: 'URLRewrite', path: { type: 'ReplacePrefixMatch', value: '/one' }, hostname: 'rewritten.example' },
      ],
    }),
    prefixRoute('/full', { filters: [{ type: 'URLRewrite', path: { type: 'ReplaceFullPath', value: '/one' } }] }),
    prefixRoute('/redirect', {
      action: {
        type: 'Redirect',
        redirect: {
          scheme: 'https',
          hostname: 'example.org',
          statusCode: 301,
          path: { type: 'ReplacePrefixMatch', value: '/r' },
        },
      },
    }),
    prefixRoute('/redirect-port', { action: { type: 'Redirect', redirect: { statusCode: 302 } } }),
    prefixRoute('/mirror', { filters: [{ type: 'RequestMirror', cluster: 'm', numerator: 1, denominator: 1 }] }),
    prefixRoute('/never-mirror', {
      filters: [{ type: 'RequestMirror', cluster: 'm', numerator: 0, denominator: 100 }],
    }),
    prefixRoute('/cors', { filters: [cors] }),
    route({
      match: match({ path: { type: 'PathPrefix', value: '/backend-filter' } }),
      action: forward([
        'a',
        1,
        [
          {
            type: 'RequestHeaderModifier',
            modifier: { set: [{ name: 'x-backend-filter', value: 'yes' }], add: [], remove: [] },
          },
        ],
      ]),
    }),
  ];
  await dp.apply(simpleIR(port, routes, [cluster('a', [a.port]), cluster('m', [mirrorEcho.port])]), 'v1');
});

after(async () => {
  await dp.close({ graceMs: 100 });
  await a.close();
  await mirrorEcho.close();
});

test('RequestHeaderModifier: set, add (appends), remove; names case-insensitive', async () => {
  const r = await json(port, '/reqmod', {
    headers: { 'x-set': 'orig', 'X-Add': 'first', 'x-remove': 'bye', 'x-other': '1' },
  });
  assert.equal(r.json.headers['x-set'], 'set-value');
  assert.equal(r.json.headers['x-add'], 'first,added');
  assert.equal(r.json.headers['x-remove'], undefined);
  assert.equal(r.json.headers['x-other'], '1');
  assert.equal(r.json.host, 'modified.example');
  const r2 = await json(port, '/reqmod');
  assert.equal(r2.json.headers['x-add'], 'added');
});

test('ResponseHeaderModifier', async () => {
  const r = await request(port, '/resp/x');
  assert.equal(r.headers['x-set'], 'new');
  assert.equal(r.headers['x-add'], 'a1');
  assert.equal(r.headers['x-remove'], undefined);
});

test('URLRewrite: prefix and full path, hostname, query kept', async () => {
  const r = await json(port, '/prefix/one/two?q=1');
  assert.equal(r.json.path, '/one/two?q=1');
  assert.equal(r.json.host, 'rewritten.example');
  const f = await json(port, '/full/x/y');
  assert.equal(f.json.path, '/one');
});

test('modifyPath slash rules', () => {
  const p = (prefix: string, value: string, path: string) =>
    modifyPath({ type: 'ReplacePrefixMatch', value }, prefix, path);
  assert.equal(p('/prefix/one', '/one', '/prefix/one/two'), '/one/two');
  assert.equal(p('/strip-prefix', '/', '/strip-prefix/three'), '/three');
  assert.equal(p('/strip-prefix', '/', '/strip-prefix'), '/');
  assert.equal(p('/strip-prefix', '', '/strip-prefix/three'), '/three');
  assert.equal(p('/prefix/rewrite', '/prefix', '/prefix/rewrite/one'), '/prefix/one');
  assert.equal(p('/a/', '/b', '/a/c'), '/b/c');
  assert.equal(p('/', '/x', '/y'), '/x/y');
});

test('RequestRedirect: scheme, hostname, path, status; port rules', async () => {
  const r = await request(port, '/redirect/abc?x=1');
  assert.equal(r.status, 301);
  assert.equal(r.headers.location, 'https://example.org/r/abc?x=1');
  const p = await request(port, '/redirect-port', { headers: { host: 'example.com' } });
  assert.equal(p.status, 302);
  assert.equal(p.headers.location, 'http://example.com:' + port + '/redirect-port');
  const loc = (r: Parameters<typeof redirectLocation>[0], listenerPort = 80) =>
    redirectLocation(r, null, 'http', listenerPort, 'example.org', '/p');
  assert.equal(loc({ statusCode: 302 }), 'http://example.org/p');
  assert.equal(loc({ statusCode: 302 }, 8080), 'http://example.org:8080/p');
  assert.equal(loc({ statusCode: 302, scheme: 'https' }, 8080), 'https://example.org/p');
  assert.equal(loc({ statusCode: 302, scheme: 'https', port: 443 }), 'https://example.org/p');
  assert.equal(loc({ statusCode: 302, scheme: 'https', port: 8443 }), 'https://example.org:8443/p');
  assert.equal(loc({ statusCode: 302, port: 80 }, 8080), 'http://example.org/p');
  assert.equal(loc({ statusCode: 302, port: 8080 }), 'http://example.org:8080/p');
  assert.equal(loc({ statusCode: 302, scheme: 'http' }, 8080), 'http://example.org/p');
  assert.equal(loc({ statusCode: 302, path: { type: 'ReplaceFullPath', value: '/full' } }), 'http://example.org/full');
});

test('RequestMirror copies requests (with body) and ignores the response; fraction 0 never mirrors', async () => {
  mirrored.length = 0;
  const r = await json(port, '/mirror/1', { method: 'POST', body: 'payload' });
  assert.equal(r.json.backend, 'a');
  for (let i = 0; i < 50 && mirrored.length === 0; i++) await new Promise((res) => setTimeout(res, 10));
  assert.deepEqual(mirrored, ['/mirror/1 payload']);
  await json(port, '/never-mirror');
  await new Promise((res) => setTimeout(res, 50));
  assert.equal(mirrored.length, 1);
});

test('CORS preflight answered by the gateway; simple requests get allow-origin', async () => {
  const pre = await request(port, '/cors', {
    method: 'OPTIONS',
    headers: {
      origin: 'https://xpto.www.bar.com',
      'access-control-request-method': 'GET',
      'access-control-request-headers': 'x-header-1',
    },
  });
  assert.equal(pre.status, 200);
  assert.equal(pre.headers['access-control-allow-origin'], 'https://xpto.www.bar.com');
  assert.equal(pre.headers['access-control-allow-methods'], 'GET, OPTIONS');
  assert.equal(pre.headers['access-control-allow-headers'], 'x-header-1, x-header-2');
  assert.equal(pre.headers['access-control-expose-headers'], 'x-header-3, x-header-4');
  assert.equal(pre.headers['access-control-max-age'], '3600');
  assert.equal(pre.headers['access-control-allow-credentials'], 'true');
  const denied = await request(port, '/cors', {
    method: 'OPTIONS',
    headers: { origin: 'https://foobar.com', 'access-control-request-method': 'GET' },
  });
  assert.equal(denied.headers['access-control-allow-origin'], undefined);
  const simple = await request(port, '/cors', { headers: { origin: 'https://www.foo.com' } });
  assert.equal(simple.status, 200);
  assert.equal(simple.headers['access-control-allow-origin'], 'https://www.foo.com');
  assert.equal(simple.headers['access-control-allow-credentials'], 'true');
  const other = await request(port, '/cors', { headers: { origin: 'https://foobar.com' } });
  assert.equal(other.headers['access-control-allow-origin'], undefined);
});

test('backendRef-level filters apply', async () => {
  const r = await json(port, '/backend-filter');
  assert.equal(r.json.headers['x-backend-filter'], 'yes');
});
