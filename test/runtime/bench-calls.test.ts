/** Saved decision streams (`stephrl bench agent --save-calls/--calls`): the model can be timed where no environment runs. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { DecisionStreamsError, readDecisionStreams, writeDecisionStreams } from '../../runtime/src/bench/agent-bench';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stephrl-calls-'));

test('decision streams round-trip through their file; a wrong file says which and why', () => {
  const file = path.join(dir, 'calls.json');
  const streams = [
    [
      { role: 'high' as const, subtaskOrdinal: 0, stepIdx: null, prompt: 'Task: boil water\nNext subtask:', completion: 'go to the kitchen' },
      { role: 'low' as const, subtaskOrdinal: 0, stepIdx: 0, prompt: 'Subtask: go to the kitchen\nAction:', completion: 'open door to kitchen; no' },
    ],
  ];
  writeDecisionStreams(file, streams);
  assert.deepEqual(readDecisionStreams(file), streams);

  assert.throws(
    () => readDecisionStreams(path.join(dir, 'missing.json')),
    (e: unknown) => e instanceof DecisionStreamsError && /missing\.json does not exist/.test(e.message),
  );
  fs.writeFileSync(path.join(dir, 'bad.json'), '{"format": "stephrl-decision-streams",');
  assert.throws(() => readDecisionStreams(path.join(dir, 'bad.json')), /bad\.json is not valid JSON/);
  fs.writeFileSync(
    path.join(dir, 'other.json'),
    JSON.stringify({ format: 'stephrl-decision-streams', version: 1, env: 'scienceworld', streams: [[{ role: 'low', prompt: '' }]] }),
  );
  assert.throws(() => readDecisionStreams(path.join(dir, 'other.json')), /other\.json is not one written by .*streams\.0\.0/);
});
