import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyzeAddresses } from '../../src/translate/addresses.ts';

test('no addresses: the default address is reported and the IR binds everything', () => {
  assert.deepEqual(analyzeAddresses(undefined), {
    unsupported: null,
    problem: null,
    bound: [],
    status: [{ type: 'IPAddress', value: '0.0.0.0' }],
  });
  const custom = analyzeAddresses([], { defaultAddress: '127.0.0.1' });
  assert.deepEqual(custom.bound, ['127.0.0.1']);
  assert.deepEqual(custom.status, [{ type: 'IPAddress', value: '127.0.0.1' }]);
});

test('hostAddresses: static IPs the host does not have are AddressNotUsable', () => {
  const r = analyzeAddresses([{ value: '10.1.2.3' }, { value: '127.0.0.1' }, { value: '::' }], {
    hostAddresses: ['127.0.0.1', '::1'],
  });
  assert.equal(r.problem?.reason, 'AddressNotUsable');
  assert.match(r.problem?.message ?? '', /10\.1\.2\.3 \(not an address of this host\)/);
  assert.deepEqual(
    r.status.map((a) => a.value),
    ['127.0.0.1', '::'],
  );
  // "::" (every address) makes the IR bind everything.
  assert.deepEqual(r.bound, []);
});

test('unsupported type wins over usability; IPv6 documentation and multicast are unusable', () => {
  const r = analyzeAddresses([{ type: 'NamedAddress', value: 'x' }, { value: '2001:db8::1' }, { value: 'ff02::1' }]);
  assert.equal(r.unsupported?.reason, 'UnsupportedAddress');
  assert.equal(r.problem?.reason, 'AddressNotUsable');
  assert.deepEqual(r.status, []);
});
