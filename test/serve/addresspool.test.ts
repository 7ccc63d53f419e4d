import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseAddressPool } from '../../src/serve/addresspool.ts';

test('address pool: IPs and inclusive IPv4 ranges, in order, without duplicates', () => {
  assert.deepEqual(parseAddressPool('127.0.1.254-127.0.2.1, 10.0.0.7,::1,127.0.2.0'), [
    '127.0.1.254',
    '127.0.1.255',
    '127.0.2.0',
    '127.0.2.1',
    '10.0.0.7',
    '::1',
  ]);
});

test('address pool: bad entries are refused with the entry named', () => {
  assert.throws(() => parseAddressPool('127.0.0.300'), /"127\.0\.0\.300" is not an IP address/);
  assert.throws(() => parseAddressPool('127.0.0.9-127.0.0.1'), /ends before it starts/);
  assert.throws(() => parseAddressPool('::1-::2'), /must be two IPv4 addresses/);
  assert.throws(() => parseAddressPool('10.0.0.0-10.255.255.255'), /larger than/);
  assert.throws(() => parseAddressPool(' , '), /empty/);
});
