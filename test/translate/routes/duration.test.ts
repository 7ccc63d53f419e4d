import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseDuration } from '../../../src/translate/duration.ts';

test('GEP-2257 durations parse to milliseconds', () => {
  const cases: [string, number][] = [
    ['0s', 0],
    ['0h', 0],
    ['1h', 3_600_000],
    ['30m', 1_800_000],
    ['10s', 10_000],
    ['500ms', 500],
    ['1h30m', 5_400_000],
    ['2s500ms', 2_500],
    ['1h2m3s4ms', 3_723_004],
    ['1m30m', 1_860_000], // units may repeat
    ['99999ms', 99_999],
    ['00010s', 10_000], // leading zeroes are decimal
  ];
  for (const [input, ms] of cases) assert.equal(parseDuration(input), ms, input);
});

test('strings that are not GEP-2257 durations are rejected', () => {
  for (const bad of [
    '',
    '1',
    '1m1',
    '1.5s',
    '-1s',
    '1d',
    '1us',
    's',
    ' 1s',
    '1s ',
    '100000s',
    '1h1m1s1ms1h',
    '1H',
    '+1s',
  ]) {
    assert.equal(parseDuration(bad), null, JSON.stringify(bad));
  }
});
