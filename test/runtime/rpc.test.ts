/** The runtime's JSON-RPC server (`stephrl serve`) as the extension uses it: over stdio, validated both ways. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, test } from 'node:test';
import { CancellationTokenSource, createMessageConnection, ResponseError, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import { ErrorCodes, onNotification, sendRequest } from '../../runtime/src/protocol/jsonrpc';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cli, isAlive, root, runCli, waitFor } from './helpers';

const server = spawn(process.execPath, [cli, 'serve'], { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
const connection = createMessageConnection(new StreamMessageReader(server.stdout), new StreamMessageWriter(server.stdin));
const logs: string[] = [];
onNotification(connection, 'runtime/log', ({ message }) => logs.push(message));
connection.listen();
after(() => {
  connection.dispose();
  server.kill('SIGKILL');
});

test('health reports Node, Python, Java and the ALFWorld data', async () => {
  const health = await sendRequest(connection, 'runtime/health', {});
  assert.equal(health.node.ok, true);
  assert.equal(health.python.ok, true, health.python.detail);
  assert.equal(health.java.ok, true, health.java.detail);
  assert.equal(health.alfworldData.ok, true, health.alfworldData.detail);
  assert.equal(health.model.ok, true, health.model.detail);
  assert.equal(health.trainer.ok, true, health.trainer.detail);
  assert.equal(health.device.ok, true, health.device.detail);
  assert.match(health.device.detail, /^(CPU|CUDA|VULKAN|METAL)/);
});

test('invalid params are refused before any handler runs', async () => {
  await assert.rejects(
    connection.sendRequest('env/listSplit', { env: 'alfworld' }),
    (e: unknown) => e instanceof ResponseError && e.code === -32602 && /split/.test(e.message),
  );
});

test('expert steps stream as notifications, and engine errors come back as errors', async () => {
  const streamed: number[] = [];
  onNotification(connection, 'env/expertStep', ({ token, step }) => token === 't1' && streamed.push(step.steps));
  const trajectory = await sendRequest(connection, 'env/runExpert', {
    episode: { env: 'scienceworld', task: 'boil', variation: 0 },
    token: 't1',
  });
  assert.equal(trajectory.summary.score, 100);
  assert.deepEqual(
    streamed,
    trajectory.steps.map((s) => s.steps),
  );
  await assert.rejects(
    sendRequest(connection, 'env/runExpert', { episode: { env: 'scienceworld', task: 'boill', variation: 0 } }),
    (e: unknown) => e instanceof ResponseError && e.code === -32001 && /unknown ScienceWorld task/.test(e.message),
  );
});

test('dataset: read an episode, edit its annotations, refused edits and undo', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stephrl-rpc-'));
  const db = path.join(dir, 'd.db');
  try {
    const demos = await runCli(['demos', '--env', 'alfworld', '--split', 'valid_train', '--limit', '1', '--db', db]);
    assert.equal(demos.code, 0, demos.stderr);
    const { episodes } = await sendRequest(connection, 'dataset/listEpisodes', { db, filter: { env: 'alfworld' } });
    assert.equal(episodes.length, 1);
    const episode = await sendRequest(connection, 'dataset/getEpisode', { db, episodeId: episodes[0]!.id });
    const n = episode.steps.length;
    const set = await sendRequest(connection, 'dataset/editAnnotation', {
      db,
      episodeId: episode.id,
      edit: {
        op: 'setSubtasks',
        subtasks: [
          { name: 'find it', firstStep: 0, lastStep: 0 },
          { name: 'place it', firstStep: 1, lastStep: n - 1 },
        ],
      },
      actor: 'user:rpc',
    });
    assert.deepEqual(
      set.subtasks.map((s) => s.name),
      ['find it', 'place it'],
    );
    await assert.rejects(
      sendRequest(connection, 'dataset/editAnnotation', { db, episodeId: episode.id, edit: { op: 'merge', subtask: 1 } }),
      (e: unknown) => e instanceof ResponseError && e.code === -32003 && /nothing after it to merge with/.test(e.message),
    );
    await assert.rejects(
      connection.sendRequest('dataset/editAnnotation', { db, episodeId: episode.id, edit: { op: 'explode' } }),
      (e: unknown) => e instanceof ResponseError && e.code === -32602,
    );
    const undone = await sendRequest(connection, 'dataset/undoAnnotation', { db, episodeId: episode.id });
    assert.deepEqual(undone.subtasks, []);
    const { edits } = await sendRequest(connection, 'dataset/annotationHistory', { db, episodeId: episode.id });
    assert.deepEqual(
      edits.map((e) => [e.operation, e.actor]),
      [
        ['setSubtasks', 'user:rpc'],
        ['undo', 'user:editor'],
      ],
    );
    const stats = await sendRequest(connection, 'dataset/stats', { db });
    assert.equal(stats.episodes.total, 1);
    await assert.rejects(
      sendRequest(connection, 'dataset/getEpisode', { db, episodeId: 999 }),
      (e: unknown) => e instanceof ResponseError && e.code === -32004 && /no episode 999/.test(e.message),
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('agent/evaluate runs an agent with progress notifications; cancelling interrupts it and the same request resumes', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stephrl-rpc-eval-'));
  const { writeTinyLlamaGguf } = await import('../fixtures/tinygguf.mjs');
  const modelPath = path.join(dir, 'tiny.gguf');
  writeTinyLlamaGguf(modelPath, { nCtx: 8192 });
  const db = path.join(dir, 'eval.db');
  const request = {
    db,
    env: 'alfworld' as const,
    split: 'valid_seen',
    agent: 'stephrl' as const,
    limit: 3,
    maxSteps: 3,
    model: { path: modelPath, gpu: 'cpu' as const, threads: 1, contextSize: 4096, prefixReuse: true },
  };
  const seen: Array<{ token: string; done: number; total: number }> = [];
  const source = new CancellationTokenSource();
  onNotification(connection, 'agent/evaluationProgress', (p) => {
    seen.push(p);
    if (p.token === 'first' && p.done === 1) source.cancel();
  });
  const first = await sendRequest(connection, 'agent/evaluate', { ...request, token: 'first' }, source.token).then(
    () => 'finished',
    (e: unknown) => (e instanceof ResponseError ? `error ${e.code}` : String(e)),
  );
  assert.match(first, /error -32800|finished/, 'a cancelled request ends');
  await waitFor(() => false, 1500); // let the runtime finish marking what was in flight
  const summary = await sendRequest(connection, 'agent/evaluate', { ...request, token: 'second' });
  assert.equal(summary.episodes, 3);
  assert.equal(summary.missing, 0);
  assert.equal(summary.agent, 'stephrl');
  const second = seen.filter((p) => p.token === 'second');
  assert.ok(second.length >= 1 && second.at(-1)!.done === second[0]!.total, 'progress counts up to the plan');
  assert.ok(second[0]!.total <= 2, 'the resumed run plays only what the cancelled one did not finish');
  // Whatever was in flight when the cancel arrived (an episode, or only its environment's reset) is not left running.
  const episodes = await sendRequest(connection, 'dataset/listEpisodes', { db, filter: { source: 'policy' } });
  assert.ok(episodes.episodes.every((e) => e.status === 'complete' || e.status === 'interrupted'));
  assert.equal(episodes.episodes.filter((e) => e.status === 'complete').length, 3);

  const { runs } = await sendRequest(connection, 'dataset/listRuns', { db, kind: 'eval' });
  assert.deepEqual(
    runs.map((r) => r.status),
    ['complete', 'interrupted'],
    'newest first: the resumed run, then the cancelled one',
  );
  assert.equal(runs[0]!.metrics['eval/episodes'], 3);
  assert.equal(runs[0]!.metrics['eval/successRate'], summary.successRate);

  await assert.rejects(
    sendRequest(connection, 'agent/evaluate', { ...request, model: { ...request.model, path: path.join(dir, 'missing.gguf') } }),
    (e: unknown) => e instanceof ResponseError && e.code === -32005 && /missing\.gguf does not exist/.test(e.message),
  );
});

test('dataset/collectDemonstrations and dataset/annotate run the dataset jobs with progress, as the CLI does', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stephrl-rpc-jobs-'));
  const db = path.join(dir, 'jobs.db');
  const ticks: Array<{ token: string; done: number; total: number }> = [];
  onNotification(connection, 'job/progress', (p) => ticks.push(p));
  const demos = await sendRequest(connection, 'dataset/collectDemonstrations', {
    db,
    env: 'alfworld',
    split: 'valid_seen',
    limit: 2,
    token: 'demos',
  });
  assert.deepEqual([demos.stored, demos.failed, demos.interrupted], [2, 0, false]);
  assert.deepEqual(
    ticks.filter((t) => t.token === 'demos').map((t) => `${t.done}/${t.total}`),
    ['0/2', '1/2', '2/2'],
  );
  const again = await sendRequest(connection, 'dataset/collectDemonstrations', { db, env: 'alfworld', split: 'valid_seen', limit: 2 });
  assert.equal(again.skipped, 2, 'stored demonstrations are skipped');
  const before = await sendRequest(connection, 'dataset/annotationStatus', { db, filter: { env: 'alfworld' } });
  assert.deepEqual(before.episodes, [], 'nothing is annotated yet');
  const annotated = await sendRequest(connection, 'dataset/annotate', { db, filter: { env: 'alfworld' }, token: 'annotate' });
  assert.deepEqual([annotated.written, annotated.failed], [2, 0]);
  const after = await sendRequest(connection, 'dataset/annotationStatus', { db, filter: { env: 'alfworld', source: 'expert' } });
  assert.equal(after.episodes.length, 2);
  assert.ok(after.episodes.every((e) => e.subtasks > 0 && e.provenance.join() === 'rule' && !e.reviewed));
  assert.equal(ticks.filter((t) => t.token === 'annotate').at(-1)?.done, 2);
  await assert.rejects(
    sendRequest(connection, 'dataset/annotate', {
      db,
      annotator: 'model',
      model: { path: path.join(dir, 'none.gguf'), gpu: 'cpu', prefixReuse: true },
    }),
    (e: unknown) => e instanceof ResponseError && e.code === -32005,
  );

  // Export and import (the extension's Export / Import Dataset): a round trip, and a malformed file refused whole.
  const file = path.join(dir, 'episodes.jsonl');
  assert.deepEqual(await sendRequest(connection, 'dataset/export', { db, format: 'jsonl', out: file }), { episodes: 2, out: file });
  const other = path.join(dir, 'other.db');
  const imported = await sendRequest(connection, 'dataset/import', { db: other, format: 'jsonl', files: [file] });
  assert.deepEqual([imported.imported, imported.annotated], [2, 0], 'annotated episodes keep their annotations');
  const broken = path.join(dir, 'broken.jsonl');
  fs.writeFileSync(broken, fs.readFileSync(file, 'utf8').split('\n')[0] + '\n{"not": "an episode"\n');
  await assert.rejects(
    sendRequest(connection, 'dataset/import', { db: other, format: 'jsonl', files: [broken] }),
    (e: unknown) => e instanceof ResponseError && e.code === -32006 && /broken\.jsonl:2: not valid JSON/.test(e.message),
  );
  assert.equal((await sendRequest(connection, 'dataset/stats', { db: other })).episodes.total, 2, 'nothing of the broken file was stored');
});

test('train/run trains with step progress, records the run, and a cancelled run resumes with the same request', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stephrl-rpc-train-'));
  const db = path.join(dir, 'train.db');
  const { writeTinyLlamaGguf } = await import('../fixtures/tinygguf.mjs');
  const model = path.join(dir, 'tiny.gguf');
  writeTinyLlamaGguf(model, { nCtx: 8192 });
  for (const args of [['demos', '--env', 'alfworld', '--split', 'valid_train', '--limit', '1'], ['annotate'], ['dataset', 'transitions']]) {
    const r = await runCli([...args, '--db', db]);
    assert.equal(r.code, 0, r.stderr);
  }
  const ticks: Array<{ token: string; done: number; total: number; label?: string }> = [];
  onNotification(connection, 'job/progress', (p) => ticks.push(p));
  const request = {
    db,
    kind: 'bc' as const,
    model,
    steps: 6,
    out: path.join(dir, 'bc'),
    cpu: true,
    config: { max_length: 4096, global_batch_size: 2, micro_batch_size: 2 },
  };
  const source = new CancellationTokenSource();
  const stopped = sendRequest(connection, 'train/run', { ...request, token: 'train' }, source.token);
  assert.ok(await waitFor(() => ticks.some((t) => t.token === 'train' && t.done >= 2), 120_000), 'training reported steps');
  source.cancel();
  // A cancelled request answers either the cancellation error or its (interrupted) result.
  const first = await stopped.then(
    (r) => r.status,
    (e: unknown) => (e instanceof ResponseError && e.code === -32800 ? 'cancelled' : String(e)),
  );
  assert.ok(['interrupted', 'cancelled'].includes(first), first);
  const [interrupted] = (await sendRequest(connection, 'dataset/listRuns', { db, kind: 'train' })).runs;
  assert.equal(interrupted!.status, 'interrupted');
  assert.match(ticks.find((t) => t.token === 'train')!.label ?? '', /^step 1, loss \d/);
  assert.equal(ticks.find((t) => t.token === 'train')!.total, 6);
  const second = await sendRequest(connection, 'train/run', { ...request, token: 'train-2' });
  assert.deepEqual([second.runId, second.status, second.steps, second.resumed], [interrupted!.id, 'complete', 6, true]);
  assert.ok(second.adapterGguf && fs.existsSync(second.adapterGguf));
  const { runs } = await sendRequest(connection, 'dataset/listRuns', { db, kind: 'train' });
  assert.equal(runs.length, 1);
  assert.ok(runs[0]!.metrics.loss_bc_low! > 0);

  // The Models view's list: the base model passed in, and the exported adapter with its run.
  const models = await sendRequest(connection, 'models/list', { db, extra: [model] });
  assert.ok(models.baseModels.some((m) => m.path === model && m.name === 'tiny.gguf'));
  assert.deepEqual(
    models.adapters.map((a) => [a.path, a.runId, a.kind]),
    [[second.adapterGguf, second.runId, 'bc']],
  );

  // Offline RL's preparation before its first step (the critics' features and fit) shows as progress labels.
  const rl = await sendRequest(connection, 'train/run', {
    ...request,
    kind: 'rl',
    steps: 1,
    out: path.join(dir, 'rl'),
    config: { ...request.config, critic_fit_epochs: 2, critic_warmup_steps: 0 },
    token: 'rl',
  });
  assert.equal(rl.status, 'complete');
  const labels = ticks.filter((t) => t.token === 'rl').map((t) => t.label ?? '');
  assert.ok(
    labels.some((l) => /^critic features \(low\): \d+ of \d+ transitions$/.test(l)),
    labels.join('\n'),
  );
  assert.ok(
    labels.some((l) => l.startsWith('critics fitted (low, ')),
    labels.join('\n'),
  );

  // Stop Run: a run of this runtime is cancelled; a CLI run on this machine gets SIGTERM; both end interrupted.
  const longer = { ...request, steps: 40, out: path.join(dir, 'bc-long') };
  const inRuntime = sendRequest(connection, 'train/run', { ...longer, token: 'long' });
  assert.ok(await waitFor(() => ticks.some((t) => t.token === 'long' && t.done >= 1), 120_000));
  const live = (await sendRequest(connection, 'dataset/listRuns', { db, kind: 'train' })).runs.find((r) => r.status === 'running')!;
  assert.deepEqual(await sendRequest(connection, 'runs/stop', { db, runId: live.id }), { how: 'cancelled' });
  assert.equal((await inRuntime).status, 'interrupted');
  const cli = spawn(
    process.execPath,
    [
      path.join(root, 'runtime', 'bin', 'stephrl.js'),
      'train',
      'bc',
      '--db',
      db,
      '--model',
      model,
      '--steps',
      '40',
      '--out',
      path.join(dir, 'bc-cli'),
      '--cpu',
      '--config',
      JSON.stringify(request.config),
    ],
    { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let cliErr = '';
  cli.stderr.on('data', (d) => (cliErr += d));
  assert.ok(await waitFor(() => /^step 1\b/m.test(cliErr), 120_000), cliErr);
  const cliRun = (await sendRequest(connection, 'dataset/listRuns', { db, kind: 'train' })).runs.find((r) => r.status === 'running')!;
  assert.deepEqual(await sendRequest(connection, 'runs/stop', { db, runId: cliRun.id }), { how: 'signalled' });
  assert.equal(await new Promise((r) => cli.once('close', r)), 130);
  await assert.rejects(
    sendRequest(connection, 'runs/stop', { db, runId: cliRun.id }),
    (e: unknown) => e instanceof ResponseError && e.code === ErrorCodes.Conflict && /is not running \(interrupted\)/.test(e.message),
  );
});

test('requests that only read do not create a dataset where there is none', async () => {
  const missing = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'stephrl-rpc-read-')), 'none.db');
  assert.deepEqual(await sendRequest(connection, 'dataset/listRuns', { db: missing }), { runs: [] });
  assert.deepEqual((await sendRequest(connection, 'dataset/listEpisodes', { db: missing })).episodes, []);
  assert.equal((await sendRequest(connection, 'dataset/stats', { db: missing })).episodes.total, 0);
  assert.deepEqual((await sendRequest(connection, 'models/list', { db: missing })).adapters, []);
  assert.ok(!fs.existsSync(missing), 'a read created the dataset file');
});

test('closing stdin stops the server and its workers', async () => {
  connection.dispose();
  server.stdin.end();
  assert.ok(await waitFor(() => !isAlive(server.pid!), 15_000), 'the runtime did not exit when its client went away');
});

test('a body that is not JSON gets a parse error and serving goes on; a broken header ends the process with the reason', async () => {
  const raw = spawn(process.execPath, [cli, 'serve'], { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  raw.stdout.on('data', (d) => (out += d));
  raw.stderr.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((resolve) => raw.on('exit', (code) => resolve(code)));
  const frame = (body: string) => `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
  try {
    raw.stdin.write(frame('{"jsonrpc": "2.0", "id": 1, "method": '));
    assert.ok(await waitFor(() => /"id":null,"error":\{"code":-32700,"message":"Parse error: /.test(out), 15_000), out);
    raw.stdin.write(frame(JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'env/listSplit', params: { env: 'alfworld' } })));
    assert.ok(await waitFor(() => /"id":2,"error":\{"code":-32602/.test(out), 15_000), `the server stopped answering: ${out}`);
    raw.stdin.write('Content-Type: application/json\r\n\r\n{}');
    assert.equal(await exited, 1);
    assert.match(err, /the input stream cannot be trusted any more \(Header must provide a Content-Length property.\): exiting/);
  } finally {
    raw.kill('SIGKILL');
  }
});
