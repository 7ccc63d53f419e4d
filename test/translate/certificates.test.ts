import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { CertificateResolver, parseKeyPair, secretValue } from '../../src/translate/certificates.ts';
import { ReferenceGrantIndex } from '../../src/translate/referencegrant.ts';
import { Snapshot } from '../../src/provider/snapshot.ts';

const read = (name: string) => readFileSync(new URL(`../testdata/translate/certs/${name}`, import.meta.url), 'utf8');
const fooCrt = read('foo.example.com.crt');
const fooKey = read('foo.example.com.key');
const cnCrt = read('cn-only.crt');
const cnKey = read('cn-only.key');

test('parseKeyPair: SAN names, CN fallback, mismatched and malformed input', () => {
  assert.deepEqual(parseKeyPair(fooCrt, fooKey), { dnsNames: ['foo.example.com'] });
  assert.deepEqual(parseKeyPair(cnCrt, cnKey), { dnsNames: ['other.example.org'] });
  assert.deepEqual(parseKeyPair(fooCrt, cnKey), { error: 'tls.key does not match the certificate in tls.crt' });
  assert.deepEqual(parseKeyPair('garbage', fooKey), { error: 'tls.crt is not a valid PEM certificate' });
  assert.deepEqual(parseKeyPair(fooCrt, 'garbage'), { error: 'tls.key is not a valid PEM private key' });
});

test('secretValue: stringData wins over base64 data', () => {
  const secret = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 's' },
    data: { a: Buffer.from('from-data').toString('base64'), b: Buffer.from('only-data').toString('base64') },
    stringData: { a: 'from-stringData' },
  };
  assert.equal(secretValue(secret, 'a'), 'from-stringData');
  assert.equal(secretValue(secret, 'b'), 'only-data');
  assert.equal(secretValue(secret, 'c'), undefined);
});

test('CertificateResolver: PEM goes to the IR as given; results are per reference', () => {
  const secret = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'foo', namespace: 'certs' },
    type: 'kubernetes.io/tls',
    data: { 'tls.crt': Buffer.from(fooCrt).toString('base64'), 'tls.key': Buffer.from(fooKey).toString('base64') },
  };
  const snapshot = new Snapshot([{ resource: secret }]);
  const resolver = new CertificateResolver(snapshot, new ReferenceGrantIndex(snapshot));
  const same = resolver.resolve(
    { name: 'foo' },
    { group: 'gateway.networking.k8s.io', kind: 'Gateway', namespace: 'certs' },
  );
  assert.ok(same.ok);
  assert.equal(same.certificate.certPem, fooCrt);
  assert.equal(same.certificate.keyPem, fooKey);
  assert.equal(same.certificate.source, 'certs/foo');
  const cross = resolver.resolve(
    { name: 'foo', namespace: 'certs' },
    { group: 'gateway.networking.k8s.io', kind: 'Gateway', namespace: 'infra' },
  );
  assert.equal(cross.ok, false);
  assert.equal(!cross.ok && cross.reason, 'RefNotPermitted');
});
