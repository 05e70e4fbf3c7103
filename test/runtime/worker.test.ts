/** Worker processes and the pool on the real engines: errors, crashes, hangs, recovery, no orphans. */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { WorkerEnvironment } from '../../runtime/src/env/environment';
import { EpisodeFailure, WorkerPool } from '../../runtime/src/env/pool';
import { EngineError, WorkerFailure } from '../../runtime/src/env/worker-process';
import { groupAlive, waitFor } from './helpers';

const boil = { env: 'scienceworld', task: 'boil', variation: 0 } as const;
const cleanup: Array<() => Promise<void>> = [];
after(async () => {
  for (const c of cleanup) await c();
});

test('an engine error leaves the worker usable; a step reports look, inventory and rejection', async () => {
  const env = new WorkerEnvironment('scienceworld');
  cleanup.push(() => env.close());
  const engine = await env.start();
  assert.deepEqual(engine, { name: 'scienceworld', version: '1.2.3' });
  await assert.rejects(env.reset({ ...boil, task: 'boill' }), (e: unknown) => e instanceof EngineError && e.code === 'unknown_task');
  await assert.rejects(env.reset({ ...boil, variation: 500 }), /out of range for task 'boil': it has variations 0\.\.29/);
  const reset = await env.reset(boil);
  assert.equal(reset.maxSteps, 50);
  assert.match(reset.taskDescription, /boil water/);
  const rejected = await env.step('xyzzy');
  assert.equal(rejected.invalid, true);
  assert.equal(rejected.observation.trim(), 'No known action matches that input.');
  const step = await env.step('open door to kitchen');
  assert.equal(step.invalid, false);
  assert.equal(step.steps, 2);
  assert.match(step.look ?? '', /This room is called/);
  assert.ok((await env.validActions()).includes('look around'));
});

test('a worker killed mid-episode is reported with the episode, and the pool recovers without orphans', async () => {
  const pool = new WorkerPool('scienceworld', { size: 1 });
  cleanup.push(() => pool.close());
  let firstPid = 0;
  await assert.rejects(
    pool.use(async (env) => {
      await env.reset(boil);
      await env.step('open door to kitchen');
      firstPid = env.worker.pid!;
      env.worker.kill('SIGKILL');
      await env.step('go to kitchen');
    }, boil),
    (error: unknown) =>
      error instanceof EpisodeFailure &&
      error.message.startsWith('scienceworld boil variation 0 failed') &&
      error.cause instanceof WorkerFailure &&
      /killed by SIGKILL/.test(error.message),
  );
  // The worker's JVM (same process group) goes too.
  assert.ok(await waitFor(() => !groupAlive(firstPid)), 'the dead worker left processes behind');
  const score = await pool.use(async (env) => {
    await env.reset(boil);
    return (await env.step('look around')).score;
  });
  assert.equal(score, 0);
  assert.equal(pool.started, 2);
  assert.notEqual(pool.pids()[0], firstPid);
});

test('a call that hangs past its timeout stops the worker and says which call', async () => {
  const env = new WorkerEnvironment('scienceworld', { timeouts: { resetMs: 1 } });
  cleanup.push(() => env.close());
  await env.start();
  const pid = env.worker.pid!;
  await assert.rejects(env.reset(boil), (e: unknown) => e instanceof WorkerFailure && e.code === 'timeout' && /'reset'/.test(e.message));
  assert.ok(await waitFor(() => !groupAlive(pid)), 'the hung worker was not killed');
});

test('a missing Java is a clear start failure', async () => {
  const env = new WorkerEnvironment('scienceworld', { env: { PATH: '/nonexistent' } });
  cleanup.push(() => env.close());
  await assert.rejects(
    env.start(),
    (e: unknown) => e instanceof WorkerFailure && e.engineCode === 'java_missing' && /default-jre-headless/.test(e.message),
  );
});

test('closing a pool ends every worker and its JVM', async () => {
  const pool = new WorkerPool('scienceworld', { size: 2 });
  await Promise.all([pool.use((e) => e.reset(boil)), pool.use((e) => e.reset({ ...boil, variation: 1 }))]);
  const pids = pool.pids();
  assert.equal(pids.length, 2);
  await pool.close();
  for (const pid of pids) assert.ok(await waitFor(() => !groupAlive(pid)), `worker ${pid} left processes behind`);
});
