/**
 * `stephrl bench store`: dataset speed on real trajectories.
 * - insert: steps stored per second with the store's batched episode insert, against one INSERT per step in the
 *   same single transaction (the plain way), in the same run;
 * - transitions: time to load and derive every transition of the ScienceWorld train split (1 404 episodes): from a
 *   dataset that holds it (`--db`, after `stephrl demos` and `stephrl annotate`), else from a replica built out of
 *   real gold-path episodes (one per task, repeated to the split's size) with the rule annotations.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { collectDemonstrations } from '../collect/demos';
import { RULE_ANNOTATORS, annotatable } from '../annotate/run';
import type { EpisodeDetail } from '../protocol/dataset';
import { DatasetStore } from '../store/dataset-store';
import { insertEpisodeRows } from '../store/episodes';
import { loadTransitionEpisodes, materializeTransitions } from '../store/transitions';
import { agentTransitions } from '../agent/agent-transitions';

const STEPHRL = { name: 'stephrl', derive: agentTransitions('stephrl') };
import { EPISODE_COLUMNS } from '../store/rows';
import { resolveAlfworldData } from '../util/paths';

const TRAIN_SPLIT_EPISODES = 1404;

export interface StoreBenchResult {
  suite: 'store';
  insert: {
    episodes: number;
    steps: number;
    /** The store's bulk insert of episodes with their steps: one statement per episode's steps, 100 episodes per transaction. */
    batchedStepsPerSecond: number;
    /** The same, with each episode's subtasks and local progress written too. */
    batchedAnnotatedStepsPerSecond: number;
    /** One transaction per episode, as `demos` writes while it runs. */
    perEpisodeStepsPerSecond: number;
    /** One INSERT per step, all in one transaction. */
    rowByRowStepsPerSecond: number;
    batchSpeedup: number;
  };
  transitions: {
    source: 'dataset' | 'replica';
    episodes: number;
    high: number;
    low: number;
    progress: number;
    loadSeconds: number;
    deriveSeconds: number;
    seconds: number;
    /** Deriving and storing them as a transition set (what `dataset transitions` does). */
    materializeSeconds: number;
  };
  targets: { insertStepsPerSecond: number; transitionSeconds: number };
}

async function sampleEpisodes(store: DatasetStore, dbPath?: string): Promise<{ episodes: EpisodeDetail[]; fromDataset: boolean }> {
  if (dbPath) {
    const given = await DatasetStore.open(dbPath, { readonly: true });
    try {
      const listed = await given.episodes.list({ env: 'scienceworld', split: 'train', source: 'expert', status: 'complete' });
      if (listed.length >= TRAIN_SPLIT_EPISODES) {
        return { episodes: await Promise.all(listed.map((e) => given.episodes.get(e.id))), fromDataset: true };
      }
      process.stderr.write(`${dbPath} holds ${listed.length} ScienceWorld train episodes, not the whole split: using a replica\n`);
    } finally {
      await given.close();
    }
  }
  const tasks = [
    'boil',
    'find-animal',
    'grow-plant',
    'measure-melting-point-known-substance',
    'test-conductivity',
    'use-thermometer',
    'chemistry-mix',
    'lifespan-longest-lived',
  ];
  process.stderr.write(`collecting ${tasks.length} gold-path episodes for the replica...\n`);
  const report = await collectDemonstrations(store, {
    env: 'scienceworld',
    split: 'train',
    tasks,
    parallel: 1,
    alfworldData: resolveAlfworldData(),
    perTaskLimit: 1,
  });
  if (report.stored === 0) throw new Error(`could not collect episodes: ${report.failures.join('; ')}`);
  const listed = await store.episodes.list({ env: 'scienceworld' });
  return { episodes: await Promise.all(listed.map((e) => store.episodes.get(e.id))), fromDataset: false };
}

function withRuleAnnotations(e: EpisodeDetail): EpisodeDetail {
  if (e.subtasks.length && e.progress.length === e.steps.length) return e;
  const draft = RULE_ANNOTATORS[e.env](annotatable(e));
  return {
    ...e,
    subtasks: draft.subtasks.map((s) => ({ ...s, provenance: 'rule', reviewed: false })),
    progress: draft.progress.map((text, step) => ({ step, text, provenance: 'rule', reviewed: false })),
  };
}

export async function benchStore(options: { db?: string } = {}): Promise<StoreBenchResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stephrl-bench-store-'));
  try {
    const scratch = await DatasetStore.open(path.join(dir, 'sample.db'));
    const sample = await sampleEpisodes(scratch, options.db);
    await scratch.close();
    const base = sample.episodes.map(withRuleAnnotations);
    const copies = sample.fromDataset ? base : Array.from({ length: TRAIN_SPLIT_EPISODES }, (_, i) => base[i % base.length]!);
    const steps = copies.reduce((n, e) => n + e.steps.length, 0);

    // Insert the same episodes three ways, each into a fresh file.
    const items = copies.map((e) => ({ fields: e, children: { steps: e.steps, subtasks: e.subtasks, progress: e.progress } }));
    const perEpisode = await DatasetStore.open(path.join(dir, 'per-episode.db'));
    let started = performance.now();
    for (const item of items) await perEpisode.episodes.insert(item.fields, item.children);
    const perEpisodeSeconds = (performance.now() - started) / 1000;
    await perEpisode.close();

    const stepsOnly = await DatasetStore.open(path.join(dir, 'steps-only.db'));
    started = performance.now();
    for (let i = 0; i < items.length; i += 100) {
      await stepsOnly.episodes.insertMany(items.slice(i, i + 100).map((item) => ({ fields: item.fields, children: { steps: item.children.steps } })));
    }
    const batchedSeconds = (performance.now() - started) / 1000;
    await stepsOnly.close();

    const batched = await DatasetStore.open(path.join(dir, 'batched.db'));
    started = performance.now();
    for (let i = 0; i < items.length; i += 100) await batched.episodes.insertMany(items.slice(i, i + 100));
    const annotatedSeconds = (performance.now() - started) / 1000;

    const rowByRow = await DatasetStore.open(path.join(dir, 'rows.db'));
    started = performance.now();
    await rowByRow.db.write(async (tx) => {
      for (const e of copies) {
        const id = await insertEpisodeRows(
          tx,
          Object.fromEntries(Object.keys(EPISODE_COLUMNS).map((k) => [k, e[k as keyof EpisodeDetail]])) as never,
          null,
        );
        for (const s of e.steps) {
          await tx.run(
            'INSERT INTO steps (episode_id, idx, action, observation, look, inventory, reward, score, done, won, truncated, invalid) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)',
            [
              id,
              s.idx,
              s.action,
              s.observation,
              s.look,
              s.inventory,
              s.reward,
              s.score,
              s.done ? 1 : 0,
              s.won ? 1 : 0,
              s.truncated ? 1 : 0,
              s.invalid ? 1 : 0,
            ],
          );
        }
      }
    });
    const rowSeconds = (performance.now() - started) / 1000;
    await rowByRow.close();

    // Transitions of the whole split.
    started = performance.now();
    const loaded = await loadTransitionEpisodes(batched.db, { env: 'scienceworld' });
    const loadSeconds = (performance.now() - started) / 1000;
    const deriveStarted = performance.now();
    const transitions = loaded.flatMap(agentTransitions('stephrl'));
    const deriveSeconds = (performance.now() - deriveStarted) / 1000;
    const count = (role: string) => transitions.filter((t) => t.role === role).length;
    started = performance.now();
    await materializeTransitions(batched.db, 'bench', { env: 'scienceworld' }, STEPHRL);
    const materializeSeconds = (performance.now() - started) / 1000;
    await batched.close();

    return {
      suite: 'store',
      insert: {
        episodes: copies.length,
        steps,
        batchedStepsPerSecond: steps / batchedSeconds,
        batchedAnnotatedStepsPerSecond: steps / annotatedSeconds,
        perEpisodeStepsPerSecond: steps / perEpisodeSeconds,
        rowByRowStepsPerSecond: steps / rowSeconds,
        batchSpeedup: rowSeconds / batchedSeconds,
      },
      transitions: {
        source: sample.fromDataset ? 'dataset' : 'replica',
        episodes: loaded.length,
        high: count('high'),
        low: count('low'),
        progress: count('progress'),
        loadSeconds,
        deriveSeconds,
        seconds: loadSeconds + deriveSeconds,
        materializeSeconds,
      },
      targets: { insertStepsPerSecond: 20_000, transitionSeconds: 5 },
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
