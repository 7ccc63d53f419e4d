import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { GRPC_ECHO_SERVICE } from '../../src/echo/index.ts';
import { type StartedEcho, startEcho } from '../helpers/echo.ts';

const PROTO = new URL('../../src/echo/grpcecho.proto', import.meta.url).pathname;

interface Assertions {
  fullyQualifiedMethod: string;
  headers: Array<{ key: string; value: string }>;
  authority: string;
  context: { namespace: string; ingress: string; serviceName: string; pod: string };
  tlsAssertions: unknown;
}
interface EchoResponse {
  assertions: Assertions;
}
type Unary = (
  req: object,
  md: grpc.Metadata,
  cb: (err: grpc.ServiceError | null, res?: EchoResponse) => void,
) => grpc.ClientUnaryCall;
type EchoClient = grpc.Client & { Echo: Unary; EchoTwo: Unary; EchoThree: Unary };

function call(
  client: EchoClient,
  method: 'Echo' | 'EchoTwo' | 'EchoThree',
  md = new grpc.Metadata(),
): Promise<EchoResponse> {
  return new Promise((resolve, reject) => {
    client[method]({}, md, (err, res) => (err ? reject(err) : resolve(res!)));
  });
}

describe('echo backend gRPC (GrpcEcho over h2c)', () => {
  let echo: StartedEcho;
  let client: EchoClient;
  before(async () => {
    echo = await startEcho('grpc-pod', { namespace: 'grpc-ns', service: 'grpc-svc' });
    const def = protoLoader.loadSync(PROTO, { keepCase: false, defaults: true });
    const pkg = grpc.loadPackageDefinition(def) as unknown as {
      gateway_api_conformance: { echo_basic: { grpcecho: { GrpcEcho: grpc.ServiceClientConstructor } } };
    };
    const Ctor = pkg.gateway_api_conformance.echo_basic.grpcecho.GrpcEcho;
    client = new Ctor(echo.address, grpc.credentials.createInsecure(), {
      'grpc.default_authority': 'grpc.example.com',
    }) as unknown as EchoClient;
  });
  after(async () => {
    client.close();
    await echo.close();
  });

  test('Echo returns the assertions: method, authority, metadata and context', async () => {
    const md = new grpc.Metadata();
    md.set('x-custom', 'value-1');
    md.add('x-custom', 'value-2');
    const res = await call(client, 'Echo', md);
    const a = res.assertions;
    assert.equal(a.fullyQualifiedMethod, `/${GRPC_ECHO_SERVICE}/Echo`);
    assert.equal(a.authority, 'grpc.example.com');
    assert.deepEqual(a.context, { namespace: 'grpc-ns', ingress: '', serviceName: 'grpc-svc', pod: 'grpc-pod' });
    assert.equal(a.tlsAssertions, null);
    const values = (key: string) => a.headers.filter((h) => h.key === key).map((h) => h.value);
    assert.deepEqual(values(':authority'), ['grpc.example.com']);
    assert.deepEqual(values('content-type'), ['application/grpc']);
    assert.deepEqual(values('x-custom').join(',').split(/,\s*/), ['value-1', 'value-2']);
    assert.equal(values('user-agent').length, 1);
    for (const hidden of [':path', ':method', 'te', 'grpc-timeout']) assert.deepEqual(values(hidden), [], hidden);
  });

  test('EchoTwo answers with its own method name', async () => {
    const res = await call(client, 'EchoTwo');
    assert.equal(res.assertions.fullyQualifiedMethod, `/${GRPC_ECHO_SERVICE}/EchoTwo`);
  });

  test('EchoThree is UNIMPLEMENTED', async () => {
    await assert.rejects(call(client, 'EchoThree'), (err: grpc.ServiceError) => {
      assert.equal(err.code, grpc.status.UNIMPLEMENTED);
      return true;
    });
  });

  test('an unknown service is UNIMPLEMENTED', async () => {
    const generic = new grpc.Client(echo.address, grpc.credentials.createInsecure());
    try {
      const err = await new Promise<grpc.ServiceError>((resolve) => {
        generic.makeUnaryRequest(
          '/no.such.Service/Method',
          (b: Buffer) => b,
          (b: Buffer) => b,
          Buffer.alloc(0),
          (e) => resolve(e as grpc.ServiceError),
        );
      });
      assert.equal(err.code, grpc.status.UNIMPLEMENTED);
    } finally {
      generic.close();
    }
  });
});
