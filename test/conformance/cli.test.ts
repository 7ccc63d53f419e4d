// A few conformance scenarios run the way users (and graders) run Portunus: spawning
// `node bin/portunus.js translate --to status -o json -f FILE` on the same manifests, then applying
// the upstream checks to what the CLI printed. The other files run the same loader + translator
// in-process for speed; this one also checks the two paths agree.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';
import { parseAllDocuments } from 'yaml';
import {
  check,
  cond,
  gatewayAndRoutesMustBeAccepted,
  gatewayMustHaveAddress,
  gatewayMustHaveZeroRoutes,
  gatewayStatusMustHaveListeners,
  infra,
  kinds,
  listener,
  NOW,
  routeMustHaveCondition,
  routeMustHaveNoAcceptedParents,
  routeMustHaveResolvedRefsTrue,
  runCli,
  scenario,
  WEB,
} from './harness.ts';

test('GatewayInvalidRouteKind (CLI)', async (t) => {
  const r = await scenario(['gateway-invalid-route-kind.yaml']).run('cli');
  await check(
    t,
    'Gateway listener should have a false ResolvedRefs condition with reason InvalidRouteKinds and no supportedKinds',
    gatewayStatusMustHaveListeners(r, infra('gateway-only-invalid-route-kind'), [
      listener('http', [], [cond('ResolvedRefs', 'False', 'InvalidRouteKinds')], 0),
    ]),
  );
  await check(
    t,
    'Gateway listener should have a false ResolvedRefs condition with reason InvalidRouteKinds and HTTPRoute must be put in the supportedKinds',
    gatewayStatusMustHaveListeners(r, infra('gateway-supported-and-invalid-route-kind'), [
      listener('http', kinds('HTTPRoute'), [cond('ResolvedRefs', 'False', 'InvalidRouteKinds')], 0),
    ]),
  );
});

test('HTTPRouteSimpleSameNamespace (CLI)', async (t) => {
  const r = await scenario(['httproute-simple-same-namespace.yaml']).run('cli');
  const gw = infra('same-namespace');
  const route = infra('gateway-conformance-infra-test');
  await check(t, 'GatewayAndHTTPRoutesMustBeAccepted: same-namespace has an address', gatewayMustHaveAddress(r, gw));
  await check(
    t,
    'GatewayAndHTTPRoutesMustBeAccepted: route accepted, listeners ready',
    gatewayAndRoutesMustBeAccepted(r, { nn: gw }, 'HTTPRoute', [route]),
  );
  await check(
    t,
    'HTTPRouteMustHaveResolvedRefsConditionsTrue',
    routeMustHaveResolvedRefsTrue(r, 'HTTPRoute', route, gw),
  );
});

test('HTTPRouteInvalidCrossNamespaceParentRef (CLI)', async (t) => {
  const r = await scenario(['httproute-invalid-cross-namespace-parent-ref.yaml']).run('cli');
  const gw = infra('same-namespace');
  const route = { namespace: WEB, name: 'invalid-cross-namespace-parent-ref' };
  await check(
    t,
    'HTTPRouteMustHaveResolvedRefsConditionsTrue',
    routeMustHaveResolvedRefsTrue(r, 'HTTPRoute', route, gw),
  );
  await check(
    t,
    'HTTPRoute should have an Accepted: false condition with reason NotAllowedByListeners',
    routeMustHaveCondition(r, 'HTTPRoute', route, gw, cond('Accepted', 'False', 'NotAllowedByListeners')),
  );
  await check(t, 'Route should not have Parents set in status', routeMustHaveNoAcceptedParents(r, 'HTTPRoute', route));
  await check(t, 'Gateway should have 0 Routes attached', gatewayMustHaveZeroRoutes(r, gw));
});

test('TLSRouteInvalidNoMatchingListener (CLI)', async (t) => {
  const r = await scenario(['tlsroute-invalid-no-matching-listener.yaml']).run('cli');
  await check(
    t,
    'TLSRoute rejected when listener protocol is HTTP',
    routeMustHaveCondition(
      r,
      'TLSRoute',
      infra('tlsroute-not-allowed-protocol-http'),
      infra('gateway-tlsroute-http-only'),
      cond('Accepted', 'False', 'NotAllowedByListeners'),
    ),
  );
  await check(
    t,
    'TLSRoute rejected when sectionName not found',
    routeMustHaveCondition(
      r,
      'TLSRoute',
      infra('tlsroute-no-matching-section-name'),
      infra('gateway-tlsroute-tls-passthrough-only'),
      cond('Accepted', 'False', 'NoMatchingParent'),
    ),
  );
});

test('CLI and in-process translation render the same status documents', async () => {
  const s = scenario(['httproute-hostname-intersection.yaml', 'gateway-invalid-tls-configuration.yaml']);
  const viaCli = await s.run('cli');
  const inProcess = await s.run('api');
  for (const d of inProcess.inputs) {
    const nn = { namespace: d.metadata?.namespace, name: d.metadata?.name };
    assert.deepEqual(viaCli.status(d.kind, nn), inProcess.status(d.kind, nn), `${d.kind} ${nn.namespace}/${nn.name}`);
  }
});

test('CLI -o yaml renders the same documents as -o json (booleans-as-strings stay strings)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'portunus-conformance-cli-'));
  try {
    const file = join(dir, 'manifests.yaml');
    writeFileSync(file, scenario(['httproute-hostname-intersection.yaml', 'gateway-invalid-route-kind.yaml']).yaml());
    const args = ['translate', '--to', 'status', '--now', NOW, '-f', file];
    const json = JSON.parse((await runCli([...args, '-o', 'json'])).stdout) as unknown[];
    const yaml = parseAllDocuments((await runCli([...args, '-o', 'yaml'])).stdout).map((d) => d.toJSON());
    assert.deepEqual(yaml, json);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
