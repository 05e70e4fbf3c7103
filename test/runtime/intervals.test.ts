/** Evaluation intervals against values computed by hand (Wilson 1927; normal approximation of a mean). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatSuccess, meanInterval, wilsonInterval } from '../../runtime/src/evaluate/intervals';

const close = (actual: [number, number], expected: [number, number]) =>
  actual.forEach((v, i) => assert.ok(Math.abs(v - expected[i]!) < 5e-4, `${actual.join(', ')} vs ${expected.join(', ')}`));

test('the Wilson interval is honest at 0 of n and n of n and symmetric at one half', () => {
  close(wilsonInterval(3, 3), [0.4385, 1]);
  close(wilsonInterval(0, 10), [0, 0.2775]);
  close(wilsonInterval(5, 10), [0.2366, 0.7634]);
  close(wilsonInterval(28, 140), [0.1426, 0.2734]);
  assert.deepEqual(wilsonInterval(0, 0), [0, 0]);
});

test('a mean score interval uses the sample deviation and stays within 0..100', () => {
  close(meanInterval([0, 100]), [0, 100]);
  close(meanInterval([40, 50, 60]), [38.684, 61.316]);
  assert.deepEqual(meanInterval([70]), [70, 70]);
  assert.equal(formatSuccess(0.2, wilsonInterval(28, 140)), '20.0% (95% CI 14-27%)');
});
