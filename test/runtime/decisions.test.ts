/**
 * Decision accuracy: the tally of answers against expert targets (exact, the actor's action and done flag apart, per
 * verb, the misses as written), and stored prompts cut back into the role prefix they were built with.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { scoreDecisions, type DecisionRow } from '../../runtime/src/evaluate/decisions';
import {
  flatPrompt,
  highLevelPrompt,
  historyHighPrompt,
  historyLowPrompt,
  lowLevelPrompt,
  progressPrompt,
  promptText,
  splitRolePrompt,
} from '../../runtime/src/agent/prompts';
import type { EnvKind } from '../../runtime/src/protocol/environment';

const row = (role: DecisionRow['role'], target: string, stepIdx = 0): DecisionRow => ({
  role,
  episode_id: 7,
  step_idx: stepIdx,
  state: 'unused',
  target,
  env: 'alfworld',
});

test('answers are tallied per role; the actor by action, done flag and verb; misses kept as written', () => {
  const rows = [
    row('low', 'take book 2 from sidetable 1; True', 0),
    row('low', 'go to drawer 1; False', 1),
    row('low', 'go to shelf 2; False', 2),
    row('low', 'open drawer 1; False', 3),
    row('progress', 'Looking for a book. || [Checked: sidetable 1]', 1),
    row('high', 'find and take the book'),
  ];
  const answers = [
    ' take book 2 from sidetable 1;  True', // spacing differs only: right
    'go to drawer 1; True', // action right, flag wrong
    'go to shelf 1; False', // wrong place
    '', // nothing
    'Looking for a book. || [Checked: sidetable 1]',
    'find and take the lamp',
  ];
  const [high, low, progress] = scoreDecisions(rows, answers);
  assert.equal(high!.role, 'high');
  assert.deepEqual([high!.n, high!.correct], [1, 0]);
  assert.deepEqual(high!.misses, [{ episodeId: 7, stepIdx: 0, expected: 'find and take the book', got: 'find and take the lamp' }]);
  assert.deepEqual([low!.n, low!.correct], [4, 1]);
  assert.deepEqual([low!.action!.n, low!.action!.correct], [4, 2]);
  assert.deepEqual([low!.doneFlag!.correct], [2]);
  assert.deepEqual(Object.keys(low!.byVerb!), ['go', 'take', 'open']); // most frequent first
  assert.deepEqual([low!.byVerb!.go!.n, low!.byVerb!.go!.correct], [2, 1]);
  assert.equal(low!.byVerb!.take!.rate, 1);
  assert.equal(low!.byVerb!.open!.rate, 0);
  assert.equal(low!.misses.length, 3);
  assert.deepEqual([progress!.n, progress!.correct, progress!.rate], [1, 1, 1]);
  assert.ok(low!.interval[0] < 0.25 && low!.interval[1] > 0.25);
});

test('stored prompts split back into the role prefix they were built with', () => {
  for (const env of ['alfworld', 'scienceworld'] as EnvKind[]) {
    const observation = 'You arrive at loc 3. On the desk 1, you see a pen 1.';
    const prompts = [
      highLevelPrompt({ env, taskDescription: 'put a pen on the shelf', subtasks: ['find the pen'], lastProgress: 'None', observation }),
      lowLevelPrompt({ env, subtask: 'find the pen', progress: 'None', observation }),
      progressPrompt({ env, subtask: 'find the pen', previousProgress: 'None', action: 'go to desk 1', observation }),
      flatPrompt({ env, taskDescription: 'put a pen on the shelf', initialObservation: observation, history: [], observation }),
      historyHighPrompt({ env, taskDescription: 'put a pen on the shelf', subtasks: [], observation }),
      historyLowPrompt({ env, subtask: 'find the pen', history: [{ action: 'look', observation }], observation }),
    ];
    for (const prompt of prompts) assert.deepEqual(splitRolePrompt(promptText(prompt), env), { prefix: prompt.prefix, state: prompt.state });
  }
  assert.deepEqual(splitRolePrompt('Task: no prefix here', 'alfworld'), { prefix: '', state: 'Task: no prefix here' });
});
