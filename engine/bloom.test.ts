import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { utf8Encode } from '../format/bytes.ts';
import { isHeliosError } from '../format/errors.ts';
import { bloomHash, createBloomBuilder, decodeBloomFilter, murmur3 } from './bloom.ts';

test('[FMT-SST-BLOOM-1] bloom hash is murmur3 x86_32 (published known answers) with seed 0xbc9f1d34', () => {
  assert.is(murmur3(new Uint8Array(), 0), 0);
  assert.is(murmur3(new Uint8Array(), 1), 0x514e28b7);
  assert.is(murmur3(new Uint8Array(), 0xffffffff), 0x81f16f39);
  assert.is(murmur3(utf8Encode('test'), 0), 0xba6bd213);
  assert.is(murmur3(utf8Encode('Hello, world!'), 0x9747b28c), 0x24884cba);
  assert.is(murmur3(utf8Encode('The quick brown fox jumps over the lazy dog'), 0x9747b28c), 0x2fa826cd);
  assert.is(bloomHash(utf8Encode('abc')), murmur3(utf8Encode('abc'), 0xbc9f1d34));
  assert.is(bloomHash(utf8Encode('a')), bloomHash(utf8Encode('a')));
  assert.is.not(bloomHash(utf8Encode('abcd')), bloomHash(utf8Encode('abce')));
});

test('a bloom filter never misses a key that was added', () => {
  const b = createBloomBuilder(10);
  const keys: Uint8Array[] = [];
  for (let i = 0; i < 5000; i++) keys.push(utf8Encode(`key-${i * 7919}`));
  for (const k of keys) b.addKey(k);
  const f = decodeBloomFilter(b.finish(), 't.sst', 0);
  for (const k of keys) assert.ok(f.mayContain(k));
});

test('a bloom filter at 10 bits per key rejects about 99% of absent keys', () => {
  const b = createBloomBuilder(10);
  for (let i = 0; i < 10000; i++) b.addKey(utf8Encode(`present-${i}`));
  const f = decodeBloomFilter(b.finish(), 't.sst', 0);
  let fp = 0;
  for (let i = 0; i < 10000; i++) if (f.mayContain(utf8Encode(`absent-${i}`))) fp++;
  assert.ok(fp < 300, `false positives ${fp}/10000`);
});

test('a disabled bloom filter matches every key; a bad probe count is CORRUPTION', () => {
  const f = decodeBloomFilter(createBloomBuilder(0).finish(), 't.sst', 0);
  assert.ok(f.mayContain(utf8Encode('anything')));
  try {
    decodeBloomFilter(new Uint8Array([1, 2, 3, 0]), 't.sst', 9);
    assert.unreachable();
  } catch (e) {
    assert.ok(isHeliosError(e, 'CORRUPTION'));
  }
});

test.run();
