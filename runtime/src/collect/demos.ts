/**
 * Expert demonstrations: runs an environment's expert over a split through the worker pool and stores every
 * finished episode in one transaction. Resumable: items that already have a complete expert episode are skipped,
 * so a run killed at any point loses at most the episodes in flight.
 */
import { SEEDLESS_EXPERT, type EnvKind, type ExpertTrajectory } from '../protocol/environment';
import { stepRecord } from '../store/step-record';
import type { DemoReport, EpisodeFields, StepRecord } from '../protocol/dataset';
import { DEFAULT_SIMPLIFICATIONS } from '../env/environment';
import { EXPERT_MAX_STEPS, runExpert } from '../env/expert';
import { WorkerPool } from '../env/pool';
import type { DatasetStore } from '../store/dataset-store';
import { itemKey } from '../store/episodes';
import { listSplitItems, type SplitItem } from '../env/split-items';
import { tidyTrajectory } from './tidy';
import { plural } from '../util/plural';
import { diskFullCause, type DiskFullError } from '../store/sqlite';
import { UsageError } from '../protocol/errors';

export const EXPERT_AGENTS: Record<EnvKind, string> = {
  scienceworld: 'scienceworld-gold-path',
  alfworld: 'alfworld-handcoded-expert',
};

/** What tidied demonstrations record as their agent (collect/tidy.ts): they are not the expert's own trajectory. */
export const TIDY_SUFFIX = '+tidy';

/**
 * The agent label of a split's expert episodes; ALFWorld's are tidied unless asked not to be. A seed other than 0
 * (ALFWorld's expert breaks ties, such as where to look first, at random) is another expert: its trajectories are
 * stored beside seed 0's, one more per game.
 */
export function expertAgent(env: EnvKind, tidy: boolean, seed = 0): string {
  const base = env === 'alfworld' && tidy ? EXPERT_AGENTS[env] + TIDY_SUFFIX : EXPERT_AGENTS[env];
  return seed ? `${base}${SEED_SUFFIX}${seed}` : base;
}

/** What seeded expert trajectories add to the expert's label (`alfworld-handcoded-expert+tidy#seed1`). */
export const SEED_SUFFIX = '#seed';

/** Expert seeds 0..n-1, refused where the expert has no randomness (ScienceWorld's gold path is one sequence). */
export function expertSeeds(env: EnvKind, count: number): number[] {
  if (!Number.isInteger(count) || count < 1) throw new UsageError(`the number of expert seeds must be a whole number from 1, not ${count}`);
  refuseSeedless(env, count - 1);
  return Array.from({ length: count }, (_, seed) => seed);
}

function refuseSeedless(env: EnvKind, seed: number): void {
  if (env === 'scienceworld' && seed !== 0) throw new UsageError(SEEDLESS_EXPERT);
}

export interface DemoOptions {
  env: EnvKind;
  split: string;
  tasks?: string[];
  limit?: number;
  /** Only the first N episodes of each task (a sample from every task). */
  perTaskLimit?: number;
  parallel?: number;
  /** ALFWorld data root. */
  alfworldData: string;
  simplifications?: string;
  /** ALFWorld: the expert's random seed (0 by default); another seed stores another trajectory per game. */
  seed?: number;
  /** ALFWorld: store the tidied trajectory (collect/tidy.ts) instead of the expert's own; default true. */
  tidy?: boolean;
  /** Called as each episode ends (stored or failed). */
  onEpisode?: (outcome: { ok: boolean; label: string; error?: string }) => void;
  /** Called once the work list is known. */
  onPlan?: (plan: { total: number; skipped: number; pending: number }) => void;
  signal?: AbortSignal;
}

export type { DemoReport };

export function stepRecords(trajectory: ExpertTrajectory): StepRecord[] {
  return trajectory.steps.map((s, idx) => stepRecord(idx, s.action, s));
}

export function expertEpisodeFields(
  trajectory: ExpertTrajectory,
  item: SplitItem['fields'],
  split: string | null,
  startedAt: string,
  agent: string = EXPERT_AGENTS[item.env],
): EpisodeFields {
  return {
    ...item,
    task: item.env === 'alfworld' ? (trajectory.taskType ?? item.task) : item.task,
    split,
    taskParams: trajectory.taskParams ?? null,
    source: 'expert',
    agent,
    model: null,
    adapter: null,
    engineName: trajectory.engine.name,
    engineVersion: trajectory.engine.version,
    taskDescription: trajectory.taskDescription,
    initialObservation: trajectory.initialObservation,
    initialLook: trajectory.initialLook ?? null,
    initialInventory: trajectory.initialInventory ?? null,
    maxSteps: EXPERT_MAX_STEPS,
    status: 'complete',
    stoppedBy: trajectory.summary.stoppedBy,
    error: null,
    score: trajectory.summary.score,
    won: trajectory.summary.won,
    startedAt,
    finishedAt: new Date().toISOString(),
    seconds: trajectory.summary.seconds,
  };
}

export async function collectDemonstrations(store: DatasetStore, options: DemoOptions): Promise<DemoReport> {
  const started = performance.now();
  const { env, split } = options;
  const simplifications = options.simplifications ?? DEFAULT_SIMPLIFICATIONS;
  const tidy = options.tidy ?? true;
  const seed = options.seed ?? 0;
  refuseSeedless(env, seed);
  const agent = expertAgent(env, tidy, seed);
  const report: DemoReport = {
    runId: null,
    env,
    split,
    selected: 0,
    skipped: 0,
    stored: 0,
    failed: 0,
    won: 0,
    steps: 0,
    failures: [],
    interrupted: false,
    seconds: 0,
  };
  const pool = new WorkerPool(env, { size: options.parallel ?? 1 });
  const abort = () => void pool.close();
  options.signal?.addEventListener('abort', abort, { once: true });
  try {
    const items = await listSplitItems(pool, { ...options, simplifications });
    const done = await store.episodes.completedItems({ env, source: 'expert', agent });
    const pending = items.filter((i) => !done.has(itemKey(i.fields)));
    report.selected = items.length;
    report.skipped = items.length - pending.length;
    options.onPlan?.({ total: items.length, skipped: report.skipped, pending: pending.length });
    if (pending.length === 0 || options.signal?.aborted) return report;

    const runId = await store.runs.start('collect', `${env} ${split} expert demonstrations`, {
      env,
      split,
      tasks: options.tasks ?? null,
      limit: options.limit ?? null,
      perTaskLimit: options.perTaskLimit ?? null,
      parallel: pool.size,
      simplifications,
      seed,
      agent,
    });
    report.runId = runId;
    const fatal: { diskFull: DiskFullError | null } = { diskFull: null }; // set in a callback
    await pool.map(
      pending,
      async (environment, item) => {
        const startedAt = new Date().toISOString();
        const expert = await runExpert(environment, item.spec, { maxSteps: EXPERT_MAX_STEPS, seed });
        const trajectory = tidy ? (await tidyTrajectory(environment, item.spec, expert)).trajectory : expert;
        // Written inside the lease: an episode counts as done only once it is in the database. Another writer may
        // have stored the same item meanwhile: the store keeps the first.
        const id = await store.episodes.insertUnlessDone(
          expertEpisodeFields(trajectory, item.fields, split, startedAt, agent),
          { steps: stepRecords(trajectory) },
          runId,
        );
        return { trajectory, stored: id !== null };
      },
      (item) => item.spec,
      (settled) => {
        const label = itemKey(settled.item.fields);
        if (!settled.ok && (fatal.diskFull ??= diskFullCause(settled.error))) {
          void pool.close(); // every later episode would fail the same way: stop now
        } else if (settled.ok && !settled.value.stored) {
          report.skipped++;
          options.onEpisode?.({ ok: true, label });
        } else if (settled.ok) {
          report.stored++;
          report.steps += settled.value.trajectory.steps.length;
          if (settled.value.trajectory.summary.won) report.won++;
          options.onEpisode?.({ ok: true, label });
        } else if (!options.signal?.aborted) {
          report.failed++;
          report.failures.push(settled.error.message);
          options.onEpisode?.({ ok: false, label, error: settled.error.message });
        }
      },
    );
    if (fatal.diskFull) {
      await store.runs.finish(runId, 'failed', fatal.diskFull.message).catch(() => undefined); // may not fit either
      throw fatal.diskFull;
    }
    report.interrupted = Boolean(options.signal?.aborted);
    const status = report.interrupted ? 'interrupted' : report.failed ? 'failed' : 'complete';
    await store.runs.finish(runId, status, report.failed ? `${plural(report.failed, 'episode')} failed; rerun to retry them` : null);
    return report;
  } finally {
    options.signal?.removeEventListener('abort', abort);
    await pool.close();
    report.seconds = (performance.now() - started) / 1000;
  }
}
