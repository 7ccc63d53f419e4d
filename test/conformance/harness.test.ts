// The harness's matching rules, checked on hand-written status so a scenario failure can be trusted
// to mean what upstream helpers.go would mean (and a pass cannot come from a lenient matcher).

import assert from 'node:assert/strict';
import test from 'node:test';
import {
  CONTROLLER,
  cond,
  type Doc,
  GROUP,
  gatewayMustHaveAddress,
  gatewayMustHaveCondition,
  gatewayMustHaveZeroRoutes,
  gatewayParent,
  gatewayStatusMustHaveListeners,
  infra,
  kinds,
  listener,
  Result,
  routeMustHaveCondition,
  routeMustHaveNoAcceptedParents,
  routeMustHaveParents,
} from './harness.ts';

const c = (type: string, status: string, reason: string, observedGeneration = 1) => ({
  type,
  status,
  reason,
  observedGeneration,
});
const meta = (name: string, generation = 1) => ({ name, namespace: 'gateway-conformance-infra', generation });

function result(gatewayStatus: Doc, routeStatus?: Doc, routeNamespace = 'gateway-conformance-infra'): Result {
  const gw = { apiVersion: `${GROUP}/v1`, kind: 'Gateway', metadata: meta('gw') };
  const route = { apiVersion: `${GROUP}/v1`, kind: 'HTTPRoute', metadata: { ...meta('r'), namespace: routeNamespace } };
  const rendered = [{ ...gw, status: gatewayStatus }];
  if (routeStatus) rendered.push({ ...route, status: routeStatus });
  return new Result([gw, route], rendered, []);
}

test('conditions: status and reason must match, empty reason matches any, stale observedGeneration fails', () => {
  const r = result({ conditions: [c('Accepted', 'True', 'Accepted'), c('Programmed', 'False', 'Invalid')] });
  assert.deepEqual(gatewayMustHaveCondition(r, infra('gw'), cond('Accepted', 'True')), []);
  assert.deepEqual(gatewayMustHaveCondition(r, infra('gw'), cond('Accepted', 'True', 'Accepted')), []);
  assert.equal(gatewayMustHaveCondition(r, infra('gw'), cond('Accepted', 'True', 'ListenersNotValid')).length, 1);
  assert.equal(gatewayMustHaveCondition(r, infra('gw'), cond('Programmed', 'True')).length, 1);
  const stale = result({ conditions: [c('Accepted', 'True', 'Accepted', 0)] });
  assert.equal(gatewayMustHaveCondition(stale, infra('gw'), cond('Accepted', 'True')).length, 1);
});

test('addresses: at least one with a type', () => {
  assert.equal(gatewayMustHaveAddress(result({ conditions: [], addresses: [] }), infra('gw')).length, 1);
  assert.equal(
    gatewayMustHaveAddress(result({ conditions: [], addresses: [{ value: '10.0.0.1' }] }), infra('gw')).length,
    1,
  );
  assert.deepEqual(
    gatewayMustHaveAddress(
      result({ conditions: [], addresses: [{ type: 'IPAddress', value: '10.0.0.1' }] }),
      infra('gw'),
    ),
    [],
  );
});

test('listeners: same count, names, supportedKinds (empty means empty), attachedRoutes, conditions', () => {
  const ok = [listener('http', kinds('HTTPRoute'), [cond('Accepted', 'True')], 1)];
  const st = (l: Doc) => result({ conditions: [], listeners: [l] });
  const good = {
    name: 'http',
    supportedKinds: [{ kind: 'HTTPRoute' }],
    attachedRoutes: 1,
    conditions: [c('Accepted', 'True', 'Accepted')],
  };
  assert.deepEqual(gatewayStatusMustHaveListeners(st(good), infra('gw'), ok), []);
  assert.equal(gatewayStatusMustHaveListeners(st({ ...good, attachedRoutes: 0 }), infra('gw'), ok).length, 1);
  assert.equal(
    gatewayStatusMustHaveListeners(st({ ...good, supportedKinds: [{ kind: 'GRPCRoute' }] }), infra('gw'), ok).length,
    1,
  );
  assert.equal(gatewayStatusMustHaveListeners(st(good), infra('gw'), [listener('http', [], [], 1)]).length, 1);
  assert.equal(gatewayStatusMustHaveListeners(st({ ...good, name: 'other' }), infra('gw'), ok).length, 1);
  assert.equal(gatewayStatusMustHaveZeroOr(st({ ...good, attachedRoutes: 0 })), 0);
  assert.equal(gatewayStatusMustHaveZeroOr(st(good)), 1);
});

function gatewayStatusMustHaveZeroOr(r: Result): number {
  return gatewayMustHaveZeroRoutes(r, infra('gw')).length;
}

test('route parents: controller, defaulted group/kind, namespace only when required or set', () => {
  const parent = (ref: Doc, status = 'True') => ({
    parentRef: ref,
    controllerName: CONTROLLER,
    conditions: [c('Accepted', status, status === 'True' ? 'Accepted' : 'NotAllowedByListeners')],
  });
  const want = [gatewayParent(infra('gw'), [cond('Accepted', 'True', 'Accepted')])];
  const same = result({ conditions: [] }, { parents: [parent({ name: 'gw' })] });
  assert.deepEqual(routeMustHaveParents(same, 'HTTPRoute', infra('r'), want, false), []);
  assert.equal(routeMustHaveParents(same, 'HTTPRoute', infra('r'), want, true).length, 1, 'namespace required');
  const cross = result(
    { conditions: [] },
    { parents: [parent({ name: 'gw', namespace: 'gateway-conformance-infra' })] },
    'other',
  );
  assert.deepEqual(routeMustHaveParents(cross, 'HTTPRoute', { namespace: 'other', name: 'r' }, want, true), []);
  const wrongKind = result({ conditions: [] }, { parents: [parent({ name: 'gw', kind: 'ListenerSet' })] });
  assert.equal(routeMustHaveParents(wrongKind, 'HTTPRoute', infra('r'), want, false).length, 1);
  const rejected = result({ conditions: [] }, { parents: [parent({ name: 'gw' }, 'False')] });
  assert.equal(routeMustHaveParents(rejected, 'HTTPRoute', infra('r'), want, false).length, 1);
  assert.deepEqual(
    routeMustHaveCondition(
      rejected,
      'HTTPRoute',
      infra('r'),
      infra('gw'),
      cond('Accepted', 'False', 'NotAllowedByListeners'),
    ),
    [],
  );
  assert.deepEqual(routeMustHaveNoAcceptedParents(rejected, 'HTTPRoute', infra('r')), []);
  assert.equal(routeMustHaveNoAcceptedParents(same, 'HTTPRoute', infra('r')).length, 1);
});
