/** Stop Run signals a stored process id only while it still belongs to that run's STEP-HRL process. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { isRunProcess } from '../../runtime/src/util/proc-cpu';

const sleeper = (...args: string[]) => spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)', ...args], { stdio: 'ignore' });

test('a live stephrl process that started before the run is the run process; a newer one or another program is not', async () => {
  const runStarted = new Date(Date.now() + 3000).toISOString(); // the run began after its process started
  const ours = sleeper('stephrl');
  const other = sleeper('something-else');
  try {
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(isRunProcess(ours.pid!, runStarted), true);
    // The same id recorded for a run that began long before this process started: the id was reused.
    assert.equal(isRunProcess(ours.pid!, '2020-01-01T00:00:00.000Z'), false);
    assert.equal(isRunProcess(other.pid!, runStarted), false);
  } finally {
    ours.kill('SIGKILL');
    other.kill('SIGKILL');
  }
  await new Promise((resolve) => ours.once('exit', resolve));
  assert.equal(isRunProcess(ours.pid!, runStarted), false);
});
