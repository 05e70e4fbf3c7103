/** The repeat stop's parts without an engine: when it applies, what counts as the same state, and the count to the cap. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RepeatWatch, repeatStopApplies } from '../../runtime/src/agent/repeat-stop';
import { playedToCap } from '../../runtime/src/evaluate/summary';
import type { EpisodeSummary } from '../../runtime/src/protocol/dataset';
import type { RepeatCycle } from '../../runtime/src/store/episodes';

test('the repeat stop applies to greedy decoding in a world that names its state, unless turned off', () => {
  const greedy = { temperature: 0, constrained: true, keepTexts: true };
  assert.equal(repeatStopApplies(greedy, 'k'), true, 'on when not said');
  assert.equal(repeatStopApplies({ ...greedy, repeatStop: false }, 'k'), false);
  assert.equal(repeatStopApplies({ ...greedy, temperature: 1 }, 'k'), false, 'sampling can leave a cycle');
  assert.equal(repeatStopApplies(greedy, undefined), false, 'ScienceWorld names no state');
});

test('a state repeats only with the same world, progress and observation, within one subtask', () => {
  const watch = new RepeatWatch(true);
  const state = (stateKey: string, progress = 'Seen: nothing', observation = 'You arrive at shelf 1.') => ({ stateKey, progress, observation });
  watch.startSubtask();
  assert.equal(watch.repeatOf(3, state('a')), null);
  assert.equal(watch.repeatOf(4, state('b')), null);
  assert.equal(watch.repeatOf(5, state('a', 'Seen: shelf 1')), null, 'other progress');
  assert.equal(watch.repeatOf(6, state('a', 'Seen: nothing', 'You arrive at shelf 2.')), null, 'other observation');
  assert.equal(watch.repeatOf(7, state('b')), 4, 'the step count where the state was first met');
  watch.startSubtask();
  assert.equal(watch.repeatOf(8, state('a')), null, 'a new subtask starts afresh');
  const off = new RepeatWatch(false);
  assert.equal(off.repeatOf(1, state('a')), null);
  assert.equal(off.repeatOf(2, state('a')), null);
  assert.equal(new RepeatWatch(true).repeatOf(1, { ...state('a'), stateKey: undefined }), null);
});

const episode = (fields: Partial<EpisodeSummary>): EpisodeSummary =>
  ({
    stepCount: 10,
    maxSteps: 20,
    invalidCount: 1,
    modelCalls: 21,
    promptTokens: 1000,
    cachedPromptTokens: 500,
    completionTokens: 300,
    ...fields,
  }) as EpisodeSummary;

test('an episode ended at a repeated state counts as played round its cycle to the cap', () => {
  // Steps 7, 8 and 9 form the cycle; 10 more steps to the cap: three laps and the cycle's first step again.
  const step = (promptTokens: number, invalid = false) => ({ invalid, modelCalls: 2, promptTokens, cachedPromptTokens: 10, completionTokens: 5 });
  const cycle: RepeatCycle = { from: 7, steps: [step(100), step(200, true), step(300)] };
  const played = playedToCap(episode({}), cycle);
  assert.equal(played.stepCount, 20);
  assert.equal(played.invalidCount, 1 + 3);
  assert.equal(played.modelCalls, 21 + 20);
  assert.equal(played.promptTokens, 1000 + 3 * 600 + 100);
  assert.equal(played.cachedPromptTokens, 500 + 100);
  assert.equal(played.completionTokens, 300 + 50);
  assert.deepEqual(playedToCap(episode({ stepCount: 20 }), cycle), episode({ stepCount: 20 }), 'at the cap already: as played');
});
