/** The CLI's progress line: a rate that stays readable for slow jobs. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rateText } from '../../runtime/src/cli/progress-bar';

test('the rate reads per second, or per minute where it is under 0.1 a second', () => {
  assert.equal(rateText(2.345, 'episodes'), '2.35 episodes/s');
  assert.equal(rateText(0.1, 'episodes'), '0.10 episodes/s');
  assert.equal(rateText(0.0125, 'episodes'), '0.75 episodes/min');
  assert.equal(rateText(0, 'episodes'), '0.00 episodes/s');
});
