import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CURRENT_STATE_CLOSED, CURRENT_STATE_OPEN, decodeCurrentState, encodeCurrentState, manifestFileName } from './current-file.ts';
import { fromHex, toHex } from './bytes.ts';
import { isHeliosError } from './errors.ts';

test('[FMT-CUR-1] the CURRENT state is a state byte and three varints: manifest number, last sequence number, manifest length', () => {
  assert.is(manifestFileName(4), 'MANIFEST-000004');
  assert.is(manifestFileName(1234567), 'MANIFEST-1234567');
  assert.is(toHex(encodeCurrentState({ manifestNumber: 4, closed: false, lastSeqNum: 0, manifestByteLength: 0 })), '01040000');
  assert.is(toHex(encodeCurrentState({ manifestNumber: 300, closed: true, lastSeqNum: 1000, manifestByteLength: 200 })), '02ac02e807c801');
  assert.is(CURRENT_STATE_OPEN, 1);
  assert.is(CURRENT_STATE_CLOSED, 2);
  for (const s of [
    { manifestNumber: 4, closed: false, lastSeqNum: 17, manifestByteLength: 0 },
    { manifestNumber: 2 ** 40, closed: true, lastSeqNum: 2 ** 50, manifestByteLength: 123456 },
  ]) {
    assert.equal(decodeCurrentState(encodeCurrentState(s), 'CURRENT', 48), s);
  }
});

test('[FMT-CUR-2] a malformed CURRENT state is CORRUPTION', () => {
  for (const hex of ['', '01', '010400', '0304000000', '0004000000', '0104000001', '01040000ff', '0104000000', '01ffffffffffffffffff0000']) {
    try {
      decodeCurrentState(fromHex(hex)!, 'CURRENT', 48);
      assert.unreachable(hex);
    } catch (e) {
      assert.ok(isHeliosError(e, 'CORRUPTION'), `${hex}: ${String(e)}`);
    }
  }
});

test.run();
