import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { createDataPlane } from '../../src/dataplane/index.ts';
import { cluster, forward, freePort, match, RecordingObserver, route, simpleIR } from './helpers.ts';

// Raw-bytes service definition: no .proto needed.
const identity = (b: Buffer): Buffer => b;
const service: grpc.ServiceDefinition = {
  Echo: {
    path: '/test.Echo/Echo',
    requestStream: false,
    responseStream: false,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  },
  Stream: {
    path: '/test.Echo/Stream',
    requestStream: true,
    responseStream: true,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  },
};
const Client = grpc.makeGenericClientConstructor(service, 'Echo');

const obs = new RecordingObserver();
const dp = createDataPlane({ bindAddress: '127.0.0.1', observer: obs });
let port = 0;
let server: grpc.Server;

before(async () => {
  server = new grpc.Server();
  server.addService(service, {
    Echo(call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) {
      const md = new grpc.Metadata();
      md.set('x-trailer', 'present');
      if (call.request.toString() === 'fail') {
        cb({ code: grpc.status.FAILED_PRECONDITION, details: 'asked to fail', metadata: md });
        return;
      }
      cb(null, Buffer.concat([Buffer.from('echo:'), call.request]), md);
    },
    Stream(call: grpc.ServerDuplexStream<Buffer, Buffer>) {
      call.on('data', (b: Buffer) => call.write(Buffer.concat([Buffer.from('s:'), b])));
      call.on('end', () => {
        const md = new grpc.Metadata();
        md.set('x-count', 'done');
        call.end(md);
      });
    },
  });
  const upstreamPort = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  port = await freePort();
  const deadPort = await freePort();
  await dp.apply(
    simpleIR(
      port,
      [
        route({
          match: match({ path: { type: 'PathPrefix', value: '/test.Echo' } }),
          action: forward('grpc'),
          grpc: true,
        }),
        route({
          match: match({ path: { type: 'PathPrefix', value: '/dead.Svc' } }),
          action: forward('dead'),
          grpc: true,
        }),
      ],
      [cluster('grpc', [upstreamPort], { protocol: 'h2c' }), cluster('dead', [deadPort], { protocol: 'h2c' })],
    ),
    'v1',
  );
});

after(async () => {
  await dp.close({ graceMs: 100 });
  server.forceShutdown();
});

function client(): grpc.Client {
  return new Client('127.0.0.1:' + port, grpc.credentials.createInsecure());
}

function unary(
  c: grpc.Client,
  path: string,
  body: string,
): Promise<{ err: grpc.ServiceError | null; value?: Buffer; trailers?: grpc.Metadata }> {
  return new Promise((resolve) => {
    let trailers: grpc.Metadata | undefined;
    const call = c.makeUnaryRequest(path, identity, identity, Buffer.from(body), (err, value) => {
      setImmediate(() => resolve({ err, value, trailers }));
    });
    call.on('status', (s) => (trailers = s.metadata));
  });
}

test('unary call with trailers passed through', async () => {
  const c = client();
  const r = await unary(c, '/test.Echo/Echo', 'hi');
  assert.equal(r.err, null);
  assert.equal(r.value?.toString(), 'echo:hi');
  assert.deepEqual(r.trailers?.get('x-trailer'), ['present']);
  const f = await unary(c, '/test.Echo/Echo', 'fail');
  assert.equal(f.err?.code, grpc.status.FAILED_PRECONDITION);
  assert.equal(f.err?.details, 'asked to fail');
  c.close();
});

test('bidirectional streaming', async () => {
  const c = client();
  const got: string[] = [];
  const trailers = await new Promise<grpc.Metadata>((resolve, reject) => {
    const call = c.makeBidiStreamRequest('/test.Echo/Stream', identity, identity);
    call.on('data', (b: Buffer) => got.push(b.toString()));
    call.on('status', (s) => (s.code === 0 ? resolve(s.metadata) : reject(new Error(s.details))));
    call.on('error', reject);
    for (const m of ['a', 'b', 'c']) call.write(Buffer.from(m));
    call.end();
  });
  assert.deepEqual(got, ['s:a', 's:b', 's:c']);
  assert.deepEqual(trailers.get('x-count'), ['done']);
  c.close();
});

test('gateway errors are gRPC statuses: no route → UNIMPLEMENTED, no upstream → UNAVAILABLE', async () => {
  const c = client();
  const nr = await unary(c, '/other.Svc/M', 'x');
  assert.equal(nr.err?.code, grpc.status.UNIMPLEMENTED);
  const un = await unary(c, '/dead.Svc/M', 'x');
  assert.equal(un.err?.code, grpc.status.UNAVAILABLE);
  c.close();
  const rec = obs.records.find((r) => r.path === '/other.Svc/M');
  assert.equal(rec?.responseCode, 200);
  assert.equal(rec?.responseFlags, 'NR');
});
