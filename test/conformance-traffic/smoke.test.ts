import { after, test } from 'node:test';
import { INFRA, infra } from '../conformance/harness.ts';
import { startEnv } from './env.ts';
import { runCases } from './http.ts';

const env = await startEnv({ manifests: ['httproute-simple-same-namespace.yaml', 'httproute-matching.yaml'] });
after(() => env.close());

test('HTTPRouteSimpleSameNamespace', async (t) => {
  console.log(env.gatewayAddr(infra('same-namespace')));
  await runCases(t, env.gatewayAddr(infra('same-namespace')), [
    { Request: { Path: '/' }, Response: { StatusCode: 200 }, Backend: 'infra-backend-v1', Namespace: INFRA },
  ]);
});
