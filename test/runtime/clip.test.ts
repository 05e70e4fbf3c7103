/** Error messages that quote their input stay short enough to read and to send. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clipMessage, MAX_MESSAGE_CHARS } from '../../runtime/src/util/clip';

test('a long message keeps its start and says how much was left out', () => {
  assert.equal(clipMessage('short'), 'short');
  const long = `bad value: ${'x'.repeat(5_000_000)}`;
  const clipped = clipMessage(long);
  assert.ok(clipped.startsWith('bad value: xxx'));
  assert.ok(clipped.endsWith(`... (${long.length - MAX_MESSAGE_CHARS} more characters)`));
  assert.ok(clipped.length < MAX_MESSAGE_CHARS + 50);
});
