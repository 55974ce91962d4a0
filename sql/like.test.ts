// LIKE and GLOB semantics (lang_expr.html#like, #glob); the same matcher is
// cross-checked against SQLite in fuzz/values-oracle.test.ts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isHeliosError } from '../format/errors.ts';
import { glob, like, MAX_PATTERN_LENGTH } from './like.ts';

test('LIKE: % and _ wildcards, ASCII-only case folding', () => {
  assert.ok(like('a%', 'ABC'));
  assert.ok(like('%b%', 'abc'));
  assert.ok(like('a_c', 'aXc'));
  assert.not.ok(like('a_c', 'ac'));
  assert.ok(like('_', '😀'), 'underscore matches one code point');
  assert.not.ok(like('é', 'É'), 'no Unicode case folding');
  assert.ok(like('%', ''));
  assert.not.ok(like('', 'a'));
  assert.ok(like('%a%b%c%', 'xxaxxbxxcxx'));
  assert.ok(like('a%b%c', 'abcbc'));
  assert.ok(like('%', 'line1\nline2'));
});

test('LIKE ESCAPE makes the next character literal; a trailing escape matches nothing', () => {
  assert.ok(like('a\\%c', 'a%c', '\\'));
  assert.not.ok(like('a\\%c', 'abc', '\\'));
  assert.ok(like('%\\_%', 'a_b', '\\'));
  assert.not.ok(like('%\\_%', 'ab', '\\'));
  assert.not.ok(like('abc\\', 'abc', '\\'));
  assert.ok(like('a%%', 'a%', '%'), 'escape may be a wildcard character');
  for (const bad of ['', 'ab']) {
    try {
      like('a', 'a', bad);
      assert.unreachable();
    } catch (e) {
      assert.ok(isHeliosError(e, 'SQL_ERROR'));
    }
  }
});

test('GLOB: * ? and [...] classes, case-sensitive', () => {
  assert.ok(glob('a*', 'abc'));
  assert.not.ok(glob('A*', 'abc'));
  assert.ok(glob('a?c', 'abc'));
  assert.ok(glob('[abc]*', 'bcd'));
  assert.ok(glob('[^a]*', 'bcd'));
  assert.not.ok(glob('[^a]*', 'abc'));
  assert.ok(glob('[a-c]x', 'bx'));
  assert.ok(glob('[]]', ']'));
  assert.ok(glob('a[-]b', 'a-b'));
  assert.ok(glob('[a-]', '-'));
  // A reversed range is empty, but its first endpoint is still a member (SQLite's patternCompare).
  assert.ok(glob('[c-a]', 'c'));
  assert.not.ok(glob('[c-a]', 'b'));
  assert.not.ok(glob('[c-a]', 'a'));
  assert.ok(glob('[]\\-?]', '\\'));
  assert.not.ok(glob('[^c-a]', 'c'));
  assert.not.ok(glob('*[', 'a['), 'unterminated class matches nothing');
  assert.ok(glob('*😀*', 'x😀y'));
  assert.ok(glob('[😀]', '😀'));
});

test('patterns longer than the limit are rejected, matching stays polynomial', () => {
  try {
    like('%'.repeat(MAX_PATTERN_LENGTH + 1), 'a');
    assert.unreachable();
  } catch (e) {
    assert.ok(isHeliosError(e, 'TOO_BIG'));
  }
  // A classic exponential case for naive backtracking.
  assert.not.ok(like('%a%a%a%a%a%a%a%a%a%a%b', 'a'.repeat(5000)));
  assert.not.ok(glob('*a*a*a*a*a*a*a*a*a*a*b', 'a'.repeat(5000)));
});

test.run();
