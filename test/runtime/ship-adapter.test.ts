/**
 * `stephrl models ship` on a run that started from a shipped adapter (`--init-adapter`) and whose best validated step
 * came before its last: the card's command says where it started, its steps are the adapter's step, and shipping over
 * the same name keeps the earlier adapter's hash and its card's account (a real SQLite dataset filled through the
 * store's own API).
 */
import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { DatasetStore } from '../../runtime/src/store/dataset-store';
import { shipAdapter } from '../../runtime/src/train/ship-adapter';
import type { EpisodeFields } from '../../runtime/src/protocol/dataset';
import { episodeFields } from './helpers';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stephrl-ship-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const NAME = 'alfworld-stephrl-bc';
const earlierCard = {
  name: NAME,
  title: 'the first BC adapter',
  env: 'alfworld',
  baseModel: 'tiny.gguf',
  agent: 'stephrl',
  data: '200 alfworld valid_train episodes',
  command: 'stephrl train bc --set 1 --preset cpu-small --steps 400',
  steps: 400,
  trainSeconds: 21_894,
  machine: '2-core AMD EPYC',
  config: { bc_lr: 0.001 },
  scores: [],
  createdAt: '2026-11-30T00:00:00.000Z',
};

/** An evaluation run's settings as `stephrl eval --constrained` records them. */
const evalConfig = (split: string, adapter: string) => ({
  env: 'alfworld',
  split,
  agent: 'stephrl',
  label: 'stephrl+grammar',
  model: { adapter, adapterMode: 'merged' },
  decoding: { constrained: true },
  maxSteps: 50,
  tasks: null,
  games: null,
  limit: null,
  perTaskLimit: null,
});

const episode = (game: string, won: boolean, adapter: string): EpisodeFields =>
  episodeFields({ game, won, adapter, agent: 'stephrl+grammar', score: won ? 1 : 0, stoppedBy: won ? 'done' : 'max_steps' });

test('a card of a run trained further from a shipped adapter: its origin, its best step, and the earlier file kept in its hash', async () => {
  const adapters = path.join(dir, 'adapters');
  fs.mkdirSync(path.join(adapters, NAME), { recursive: true });
  const earlierBytes = Buffer.from('GGUF earlier adapter');
  fs.writeFileSync(path.join(adapters, NAME, 'adapter.gguf'), earlierBytes);
  fs.writeFileSync(path.join(adapters, NAME, 'card.json'), JSON.stringify(earlierCard));
  const gguf = path.join(dir, 'out', 'final', 'adapter.gguf');
  fs.mkdirSync(path.dirname(gguf), { recursive: true });
  fs.writeFileSync(gguf, 'GGUF further-trained adapter');

  const store = await DatasetStore.open(path.join(dir, 'ship.db'));
  try {
    // The run as training.ts records it: started from the shipped file, 6 steps, best validated at step 4.
    const runId = await store.runs.start('train', 'BC tiny.gguf on set 1 (cpu-small)', {
      kind: 'bc',
      preset: 'cpu-small',
      model: '/models/tiny.gguf',
      setId: 1,
      agent: 'stephrl',
      steps: 6,
      overrides: { bc_lr: 0.0005, early_stopping_patience: 0 },
      initAdapter: path.join(adapters, NAME, 'adapter.gguf'),
    });
    const at = (minute: number) => `2026-12-07T09:${String(minute).padStart(2, '0')}:00.000Z`;
    // Steps a minute apart, with a 40-minute pause between steps 3 and 4 (stopped, resumed later): not training time.
    const minutes = [0, 1, 2, 3, 43, 44, 45];
    await store.runs.addMetrics(
      runId,
      minutes.map((m, step) => ({ step, name: 'loss', value: 1 / (step + 1), time: at(m) })),
    );
    await store.runs.addMetrics(runId, [
      { step: 4, name: 'val_loss', value: 0.2, time: at(43) },
      { step: 6, name: 'val_loss', value: 0.3, time: at(45) },
    ]);
    await store.runs.addCheckpoint(runId, { step: 6, kind: 'checkpoint', path: path.join(dir, 'out', 'final') });
    await store.runs.addCheckpoint(runId, { step: 4, kind: 'adapter', path: path.join(dir, 'out', 'final', 'adapter') });
    await store.runs.addCheckpoint(runId, { step: -1, kind: 'gguf-adapter', path: gguf });
    await store.runs.finish(runId, 'complete');
    const evalId = await store.runs.start('eval', 'stephrl on alfworld valid_seen', evalConfig('valid_seen', gguf));
    for (const [i, won] of [true, true, false].entries()) await store.episodes.insert(episode(`game-${i}`, won, gguf), { steps: [] }, evalId);
    // A fourth game ended at a repeated state after 4 steps (the cycle from step 2): counted as played to the 50-step cap.
    const { status: _status, ...live } = episode('game-3', false, gguf);
    const stopped = await store.episodes.begin(live, evalId);
    const steps = [0, 1, 2, 3].map((idx) => ({
      idx,
      action: `go to place ${idx % 2}`,
      observation: 'nothing here',
      look: null,
      inventory: null,
      reward: 0,
      score: 0,
      done: false,
      won: false,
      truncated: false,
      invalid: false,
    }));
    await store.episodes.append(stopped, { steps });
    await store.episodes.finish(stopped, { ...live, status: 'complete', stoppedBy: 'repeat', repeatFrom: 2 });
    await store.runs.finish(evalId, 'complete');
    // valid_unseen is not in the set-up data: its command says to pass the data that has it.
    const unseenId = await store.runs.start('eval', 'stephrl on alfworld valid_unseen', {
      ...evalConfig('valid_unseen', gguf),
      alfworldData: '/data/alfworld-current',
    });
    await store.episodes.insert({ ...episode('unseen-0', true, gguf), split: 'valid_unseen' }, { steps: [] }, unseenId);
    await store.runs.finish(unseenId, 'complete');

    const shipped = await shipAdapter(store, { name: NAME, adapter: gguf, title: 'trained further', dir: adapters, machine: 'test machine' });

    assert.match(shipped.command, /^stephrl train bc --set 1 --preset cpu-small --init-adapter alfworld-stephrl-bc --steps 6 --config '/);
    assert.deepEqual([shipped.steps, shipped.runSteps], [4, 6], "the adapter's step, and the run's last");
    assert.equal(shipped.trainSeconds, 5 * 60, 'six one-minute steps apart, the pause left out');
    assert.equal(shipped.startedFrom?.adapter, NAME);
    assert.equal(shipped.startedFrom?.sha256, crypto.createHash('sha256').update(earlierBytes).digest('hex'));
    assert.deepEqual(
      [shipped.startedFrom?.title, shipped.startedFrom?.steps, shipped.startedFrom?.trainSeconds, shipped.startedFrom?.command],
      [earlierCard.title, 400, 21_894, earlierCard.command],
    );
    assert.deepEqual(
      shipped.scores.map((s) => [s.split, s.episodes, s.successRate, s.meanSteps, s.command]),
      [
        ['valid_seen', 4, 2 / 4, 50 / 4, 'stephrl eval --env alfworld --split valid_seen --adapter alfworld-stephrl-bc --constrained'],
        [
          'valid_unseen',
          1,
          1,
          0,
          'stephrl eval --env alfworld --split valid_unseen --adapter alfworld-stephrl-bc --constrained --data <ALFWorld data with valid_unseen>',
        ],
      ],
    );
    // The folder now holds the new file; the card says where the earlier one went.
    assert.equal(fs.readFileSync(path.join(adapters, NAME, 'adapter.gguf'), 'utf8'), 'GGUF further-trained adapter');
    const markdown = fs.readFileSync(path.join(adapters, NAME, 'card.md'), 'utf8');
    assert.match(markdown, /Steps: 4 \(the best validated step of the run's 6\)/);
    assert.match(markdown, /Started from `alfworld-stephrl-bc` \(SHA-256 `[0-9a-f]{16}`\): the first BC adapter\./);
    assert.match(markdown, /git log -- runtime\/adapters\/alfworld-stephrl-bc\/adapter\.gguf/);
    // Shipped again (a new evaluation, a new title): the folder already holds this adapter; the origin stays the earlier one.
    const again = await shipAdapter(store, { name: NAME, adapter: gguf, title: 'trained further, again', dir: adapters, machine: 'test machine' });
    assert.deepEqual(again.startedFrom, shipped.startedFrom);
  } finally {
    await store.close();
  }
});

test('a run whose starting adapter is gone is refused: the card could not say what it was trained from', async () => {
  const store = await DatasetStore.open(path.join(dir, 'gone.db'));
  try {
    const gguf = path.join(dir, 'gone', 'adapter.gguf');
    fs.mkdirSync(path.dirname(gguf), { recursive: true });
    fs.writeFileSync(gguf, 'GGUF');
    const runId = await store.runs.start('train', 'BC', {
      kind: 'bc',
      preset: 'cpu-small',
      model: '/models/tiny.gguf',
      setId: 1,
      steps: 2,
      overrides: {},
      initAdapter: path.join(dir, 'no-such-adapter'),
    });
    await store.runs.addCheckpoint(runId, { step: -1, kind: 'gguf-adapter', path: gguf });
    await assert.rejects(
      shipAdapter(store, { name: 'x', adapter: gguf, title: 't', dir: path.join(dir, 'adapters-2') }),
      /the run started from .*no-such-adapter, which is gone/,
    );
  } finally {
    await store.close();
  }
});
