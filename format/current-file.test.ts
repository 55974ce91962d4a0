import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeCurrent, encodeCurrent, manifestFileName } from './current-file.ts';
import { toHex, utf8Encode } from './bytes.ts';
import { isHeliosError } from './errors.ts';

test('[FMT-CUR-1] CURRENT is MANIFEST-, six or more zero-padded digits and a line feed', () => {
  assert.is(toHex(encodeCurrent(4)), '4d414e49464553542d3030303030340a');
  assert.is(manifestFileName(1234567), 'MANIFEST-1234567');
  assert.is(decodeCurrent(encodeCurrent(4)), 4);
  assert.is(decodeCurrent(encodeCurrent(98765432)), 98765432);
});

test('[FMT-CUR-2] anything else is CORRUPTION', () => {
  for (const text of ['', 'MANIFEST-000004', 'MANIFEST-00004\n', 'MANIFEST-000004\r\n', 'manifest-000004\n', 'MANIFEST-0000x4\n', 'MANIFEST-000004\n\n', 'MANIFEST-0000004\n']) {
    try {
      decodeCurrent(utf8Encode(text));
      assert.unreachable(JSON.stringify(text));
    } catch (e) {
      assert.ok(isHeliosError(e, 'CORRUPTION'), `${JSON.stringify(text)}: ${String(e)}`);
    }
  }
});

test.run();
