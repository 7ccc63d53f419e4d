// Gateway API conformance (v1.6.1) GRPCRoute scenarios with real gRPC traffic (@grpc/grpc-js and
// the echo's GrpcEcho service) through `portunus serve`. Upstream conformance/utils/grpc semantics:
// the status code must match; on OK the fully-qualified method, the namespace (when expected) and the
// pod prefix must match; RequiredConsecutiveSuccesses in a row within a bounded time.

import { after, type TestContext, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { INFRA, infra } from '../conformance/harness.ts';
import { startEnv } from './env.ts';
import { weightedDistribution } from './weight.ts';

const ns = INFRA;
const PROTO = new URL('../../src/echo/grpcecho.proto', import.meta.url).pathname;
const SERVICE = 'gateway_api_conformance.echo_basic.grpcecho.GrpcEcho';

const env = await startEnv({
  manifests: [
    'grpcroute-exact-method-matching.yaml',
    'grpcroute-header-matching.yaml',
    'grpcroute-listener-hostname-matching.yaml',
    'grpcroute-named-rule.yaml',
    'grpcroute-weight.yaml',
  ],
});
after(() => env.close());

interface GrpcExpected {
  EchoRequest?: object;
  EchoTwoRequest?: object;
  EchoThreeRequest?: object;
  RequestMetadata?: { Authority?: string; Metadata?: Record<string, string> };
  /** grpc status code; 0 (OK) when omitted. */
  Response?: { Code: number };
  Backend?: string;
  Namespace?: string;
  TestCaseName?: string;
}

type Unary = (
  req: object,
  md: grpc.Metadata,
  opts: grpc.CallOptions,
  cb: (err: grpc.ServiceError | null, res?: EchoResponse) => void,
) => void;
interface EchoResponse {
  assertions?: { fullyQualifiedMethod?: string; context?: { namespace?: string; pod?: string } };
}
type EchoClient = grpc.Client & { Echo: Unary; EchoTwo: Unary; EchoThree: Unary };

const def = protoLoader.loadSync(PROTO, { keepCase: false, defaults: true });
const pkg = grpc.loadPackageDefinition(def) as unknown as {
  gateway_api_conformance: { echo_basic: { grpcecho: { GrpcEcho: grpc.ServiceClientConstructor } } };
};
const GrpcEcho = pkg.gateway_api_conformance.echo_basic.grpcecho.GrpcEcho;

function method(e: GrpcExpected): 'Echo' | 'EchoTwo' | 'EchoThree' {
  const set = [e.EchoRequest && 'Echo', e.EchoTwoRequest && 'EchoTwo', e.EchoThreeRequest && 'EchoThree'].filter(
    Boolean,
  );
  if (set.length !== 1) throw new Error(`TEST BUG: expected only one request type to be set, found ${set.length}`);
  return set[0] as 'Echo' | 'EchoTwo' | 'EchoThree';
}

/** DefaultClient.SendRPC: a fresh insecure connection with :authority = RequestMetadata.Authority or gwAddr. */
function sendRpc(addr: string, e: GrpcExpected): Promise<{ code: number; res: EchoResponse | undefined }> {
  const client = new GrpcEcho(addr, grpc.credentials.createInsecure(), {
    'grpc.default_authority': e.RequestMetadata?.Authority || addr,
  }) as unknown as EchoClient;
  const md = new grpc.Metadata();
  for (const [k, v] of Object.entries(e.RequestMetadata?.Metadata ?? {})) md.set(k, v);
  const m = method(e);
  return new Promise((resolve) => {
    client[m]({}, md, { deadline: Date.now() + 10_000 }, (err, res) => {
      client.close();
      resolve({ code: err ? err.code : 0, res });
    });
  });
}

function compareResponse(e: GrpcExpected, got: { code: number; res: EchoResponse | undefined }): string | null {
  const want = e.Response?.Code ?? 0;
  if (got.code !== want) return `expected status code to be ${want}, but got ${got.code}`;
  if (got.code === 0) {
    const a = got.res?.assertions;
    const fq = `/${SERVICE}/${method(e)}`;
    if (a?.fullyQualifiedMethod !== fq) return `expected path to be ${fq}, got ${a?.fullyQualifiedMethod}`;
    if (e.Namespace && e.Namespace !== a?.context?.namespace)
      return `expected namespace to be ${e.Namespace}, got ${a?.context?.namespace}`;
    if (!(a?.context?.pod ?? '').startsWith(e.Backend ?? ''))
      return `expected pod name to start with ${e.Backend}, got ${a?.context?.pod}`;
  }
  return null;
}

async function expectGrpc(addr: string, e: GrpcExpected): Promise<void> {
  const deadline = Date.now() + 5_000;
  let successes = 0;
  let last = '';
  while (successes < 3) {
    const problem = compareResponse(e, await sendRpc(addr, e));
    if (problem === null) {
      successes++;
      continue;
    }
    successes = 0;
    last = problem;
    if (Date.now() > deadline) throw new Error(`no consistent response from ${addr}: ${last}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

function grpcCaseName(e: GrpcExpected, i: number): string {
  if (e.TestCaseName) return e.TestCaseName;
  const md = e.RequestMetadata?.Metadata ? ' with metadata' : '';
  const host = e.RequestMetadata?.Authority ? ` to ${e.RequestMetadata.Authority}` : '';
  return `${i} ${method(e)}${host}${md} should ${e.Backend ? `go to ${e.Backend}` : `receive code ${e.Response?.Code ?? 0}`}`;
}

async function runGrpcCases(t: TestContext, addr: string, cases: GrpcExpected[]): Promise<void> {
  await Promise.all(cases.map((c, i) => t.test(grpcCaseName(c, i), () => expectGrpc(addr, c))));
}

test('GRPCExactMethodMatching', { concurrency: true }, async (t) => {
  await env.use(['grpcroute-exact-method-matching.yaml']);
  await runGrpcCases(t, env.gatewayAddr(infra('same-namespace')), [
    {
      EchoRequest: {},
      Backend: 'grpc-infra-backend-v1',
      Namespace: ns,
    },
    {
      EchoTwoRequest: {},
      Backend: 'grpc-infra-backend-v2',
      Namespace: ns,
    },
    {
      EchoThreeRequest: {},
      Response: { Code: 12 },
    },
  ]);
});

test('GRPCRouteHeaderMatching', { concurrency: true }, async (t) => {
  await env.use(['grpcroute-header-matching.yaml']);
  await runGrpcCases(t, env.gatewayAddr(infra('same-namespace')), [
    {
      EchoRequest: {},
      RequestMetadata: {
        Metadata: { Version: 'one' },
      },
      Backend: 'grpc-infra-backend-v1',
      Namespace: ns,
    },
    {
      EchoRequest: {},
      RequestMetadata: {
        Metadata: { Version: 'two' },
      },
      Backend: 'grpc-infra-backend-v2',
      Namespace: ns,
    },
    {
      EchoRequest: {},
      RequestMetadata: {
        Metadata: { Version: 'two', Color: 'orange' },
      },
      Backend: 'grpc-infra-backend-v1',
      Namespace: ns,
    },
    {
      EchoRequest: {},
      RequestMetadata: {
        Metadata: { Version: 'two', Color: 'blue' },
      },
      Backend: 'grpc-infra-backend-v2',
      Namespace: ns,
    },
    {
      EchoRequest: {},
      RequestMetadata: {
        Metadata: { Color: 'orange' },
      },
      Response: { Code: 12 },
    },
    {
      EchoRequest: {},
      RequestMetadata: {
        Metadata: { 'Some-Other-Header': 'one' },
      },
      Response: { Code: 12 },
    },
    {
      EchoRequest: {},
      RequestMetadata: {
        Metadata: { Color: 'blue' },
      },
      Backend: 'grpc-infra-backend-v1',
      Namespace: ns,
    },
    {
      EchoRequest: {},
      RequestMetadata: {
        Metadata: { Color: 'green' },
      },
      Backend: 'grpc-infra-backend-v1',
      Namespace: ns,
    },
    {
      EchoRequest: {},
      RequestMetadata: {
        Metadata: { Color: 'red' },
      },
      Backend: 'grpc-infra-backend-v2',
      Namespace: ns,
    },
    {
      EchoRequest: {},
      RequestMetadata: {
        Metadata: { Color: 'yellow' },
      },
      Backend: 'grpc-infra-backend-v2',
      Namespace: ns,
    },
    {
      EchoRequest: {},
      RequestMetadata: {
        Metadata: { Color: 'purple' },
      },
      Response: { Code: 12 },
    },
  ]);
});

test('GRPCRouteListenerHostnameMatching', { concurrency: true }, async (t) => {
  await env.use(['grpcroute-listener-hostname-matching.yaml']);
  await runGrpcCases(t, env.gatewayAddr(infra('grpcroute-listener-hostname-matching')), [
    {
      EchoRequest: {},
      RequestMetadata: {
        Authority: 'bar.com',
      },
      Backend: 'grpc-infra-backend-v1',
      Namespace: ns,
    },
    {
      EchoRequest: {},
      RequestMetadata: {
        Authority: 'foo.bar.com',
      },
      Backend: 'grpc-infra-backend-v2',
      Namespace: ns,
    },
    {
      EchoRequest: {},
      RequestMetadata: {
        Authority: 'baz.bar.com',
      },
      Backend: 'grpc-infra-backend-v3',
      Namespace: ns,
    },
    {
      EchoRequest: {},
      RequestMetadata: {
        Authority: 'boo.bar.com',
      },
      Backend: 'grpc-infra-backend-v3',
      Namespace: ns,
    },
    {
      EchoRequest: {},
      RequestMetadata: {
        Authority: 'multiple.prefixes.bar.com',
      },
      Backend: 'grpc-infra-backend-v3',
      Namespace: ns,
    },
    {
      EchoRequest: {},
      RequestMetadata: {
        Authority: 'multiple.prefixes.foo.com',
      },
      Backend: 'grpc-infra-backend-v3',
      Namespace: ns,
    },
    {
      EchoRequest: {},
      RequestMetadata: {
        Authority: 'foo.com',
      },
      Response: { Code: 12 },
    },
    {
      EchoRequest: {},
      RequestMetadata: {
        Authority: 'no.matching.host',
      },
      Response: { Code: 12 },
    },
  ]);
});

test('GRPCRouteNamedRule', { concurrency: true }, async (t) => {
  await env.use(['grpcroute-named-rule.yaml']);
  await runGrpcCases(t, env.gatewayAddr(infra('same-namespace')), [
    {
      EchoRequest: {},
      Backend: 'grpc-infra-backend-v1',
      Namespace: ns,
    },
    {
      EchoTwoRequest: {},
      Backend: 'grpc-infra-backend-v2',
      Namespace: ns,
    },
  ]);
});

test('GRPCRouteWeight', async () => {
  await env.use(['grpcroute-weight.yaml']);
  const addr = env.gatewayAddr(infra('same-namespace'));
  const expected: GrpcExpected = { EchoRequest: {}, Response: { Code: 0 }, Namespace: INFRA };
  await expectGrpc(addr, expected);
  const send = async (): Promise<string> => {
    // grpc.AddEntropy: random metadata so no two requests are alike.
    const got = await sendRpc(addr, {
      ...expected,
      RequestMetadata: { Metadata: { 'x-jitter': String(Math.random()) } },
    });
    if (got.code !== 0) throw new Error(`expected OK response, got ${got.code}`);
    return got.res?.assertions?.context?.pod ?? '';
  };
  const weights = { 'grpc-infra-backend-v1': 0.7, 'grpc-infra-backend-v2': 0.3, 'grpc-infra-backend-v3': 0.0 };
  const failures: string[] = [];
  for (let i = 0; i < 10; i++) {
    const err = await weightedDistribution(send, weights);
    if (err === null) return;
    failures.push(err);
  }
  throw new Error(`Weighted distribution tests failed:\n${failures.join('\n')}`);
});
