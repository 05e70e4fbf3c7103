/**
 * Evaluation runs side by side (`stephrl runs compare`, `runs/compare`, the extension's Compare Runs): per run its
 * agent, model and adapter, episodes done of those planned, and the evaluation's figures (summary.ts: success with
 * its Wilson interval, mean score with its interval, per task, invalid actions, steps, tokens per episode and per
 * decision), over all its episodes and over only the games (ALFWorld) or variations (ScienceWorld) every run played,
 * so that the rows compare on the same episodes.
 *
 * A run's episodes are the complete ones it recorded, with those of the earlier runs of the same evaluation it
 * resumed (same environment, split, agent, model, adapter and selection: a resumed run skips what they finished), the
 * latest episode of each game or variation.
 */
import * as path from 'node:path';
import { MAX_COMPARED_RUNS, type ComparedRun, type RunComparison } from '../protocol/agent';
import type { EpisodeSummary } from '../protocol/dataset';
import { UsageError } from '../protocol/errors';
import type { EnvKind } from '../protocol/environment';
import type { DatasetStore } from '../store/dataset-store';
import { itemKey } from '../store/episodes';
import type { RunRecord } from '../store/runs';
import { listShippedAdapters } from '../llm/shipped-adapters';
import { plural } from '../util/plural';
import { countedToCap, runFigures } from './summary';

/** What an evaluation run's config records (evaluation.ts). */
interface EvalConfig {
  env: EnvKind;
  split: string;
  label?: string;
  agent: string;
  model?: { name?: string; adapter?: string | null };
  maxSteps?: number;
  simplifications?: string;
  tasks?: string[] | null;
  games?: string[] | null;
  limit?: number | null;
  perTaskLimit?: number | null;
  selected?: number;
}

/** Runs of the same evaluation: what decides which items it selects and which episodes it skips. */
function selectionKey(c: EvalConfig): string {
  return JSON.stringify([
    c.env,
    c.split,
    c.label ?? c.agent,
    c.model?.name ?? null,
    c.model?.adapter ?? null,
    c.maxSteps ?? null,
    c.simplifications ?? null,
    c.tasks ?? null,
    c.games ?? null,
    c.limit ?? null,
    c.perTaskLimit ?? null,
  ]);
}

/**
 * A shipped adapter's name, the training run that exported the file ("BC run 4"; "BC run 4 step 120" where the run
 * exported more than one, as a run trained further does), else the file's own name.
 */
export async function adapterName(store: DatasetStore, file: string | null): Promise<string | null> {
  if (!file) return null;
  const shipped = listShippedAdapters().find((a) => path.resolve(a.path) === path.resolve(file));
  if (shipped) return shipped.name;
  const exported = await store.db.get<{ run_id: number; last_step: number; config: string; exports: number }>(
    `SELECT c.run_id, r.config,
            (SELECT COUNT(*) FROM checkpoints o WHERE o.run_id = c.run_id AND o.kind = 'gguf-adapter') AS exports,
            (SELECT MAX(step) FROM checkpoints o WHERE o.run_id = c.run_id) AS last_step
       FROM checkpoints c JOIN runs r ON r.id = c.run_id WHERE c.kind = 'gguf-adapter' AND c.path = ? ORDER BY c.id DESC LIMIT 1`,
    [file],
  );
  if (exported) {
    const config = JSON.parse(exported.config) as { kind?: string; agent?: string };
    const agent = config.agent && config.agent !== 'stephrl' ? ` (${config.agent})` : '';
    // An archived export sits in final-step<N>/ (training.ts, archiveFinal); the run's current one is at its last step.
    const archived = /final-step(\d+)[\\/]/.exec(file)?.[1];
    const step = exported.exports > 1 ? ` step ${archived ?? exported.last_step}` : '';
    return `${(config.kind ?? 'train').toUpperCase()}${agent} run ${exported.run_id}${step}`;
  }
  const base = path.basename(file);
  return base === 'adapter.gguf' ? path.join(path.basename(path.dirname(path.dirname(file))), path.basename(path.dirname(file))) : base;
}

/**
 * The run's episodes: the latest complete one of each item, over the run and the earlier runs it resumed (those
 * that ended at a repeated state counted as played to the cap, as the run's own summary counts them).
 */
async function runEpisodes(store: DatasetStore, run: RunRecord, evals: RunRecord[]): Promise<{ episodes: EpisodeSummary[]; resumed: number[] }> {
  const key = selectionKey(run.config as unknown as EvalConfig);
  const chain = evals.filter((r) => r.id <= run.id && selectionKey(r.config as unknown as EvalConfig) === key);
  const latest = new Map<string, EpisodeSummary>();
  for (const r of chain) for (const e of await store.episodes.list({ runId: r.id, status: 'complete' })) latest.set(itemKey(e), e);
  const { episodes } = await countedToCap(store, [...latest.values()]);
  return { episodes, resumed: chain.filter((r) => r.id !== run.id).map((r) => r.id) };
}

export async function compareRuns(store: DatasetStore, runIds: readonly number[]): Promise<RunComparison> {
  const ids = [...new Set(runIds)];
  if (!ids.length) throw new UsageError('name at least one evaluation run to compare');
  if (ids.length > MAX_COMPARED_RUNS) throw new UsageError(`at most ${MAX_COMPARED_RUNS} runs compare at once, not ${ids.length}`);
  const evals = await store.runs.list('eval');
  const runs: RunRecord[] = [];
  for (const id of ids) {
    const run = evals.find((r) => r.id === id) ?? (await store.runs.get(id));
    if (!run) throw new UsageError(`there is no run ${id} in this dataset`);
    if (run.kind !== 'eval') throw new UsageError(`run ${id} is a ${run.kind} run: only evaluation runs compare`);
    runs.push(run);
  }
  const played = await Promise.all(runs.map((run) => runEpisodes(store, run, evals)));

  // The items every run has a complete episode of, in the first run's order.
  const keysOf = played.map(({ episodes }) => new Set(episodes.map(itemKey)));
  const common = played[0]!.episodes.map(itemKey).filter((key) => keysOf.every((keys) => keys.has(key)));
  const commonSet = new Set(common);

  const rows: ComparedRun[] = [];
  for (const [i, run] of runs.entries()) {
    const config = run.config as unknown as EvalConfig;
    const { episodes, resumed } = played[i]!;
    const adapter = config.model?.adapter ?? null;
    rows.push({
      runId: run.id,
      name: run.name,
      status: run.status,
      env: config.env,
      split: config.split,
      agent: config.label ?? config.agent,
      model: config.model?.name ?? null,
      adapter,
      adapterName: await adapterName(store, adapter),
      planned: typeof config.selected === 'number' ? config.selected : null,
      resumed,
      all: runFigures(episodes),
      common: runFigures(episodes.filter((e) => commonSet.has(itemKey(e)))),
    });
  }

  const notes: string[] = [];
  const distinct = (pick: (r: ComparedRun) => string) => [...new Set(rows.map(pick))];
  if (distinct((r) => r.env).length > 1)
    notes.push(`the runs are on different environments (${distinct((r) => r.env).join(', ')}): nothing compares`);
  else if (distinct((r) => r.split).length > 1) notes.push(`the runs are on different splits (${distinct((r) => r.split).join(', ')})`);
  const running = rows.filter((r) => r.status === 'running').map((r) => r.runId);
  if (running.length) notes.push(`still running: run ${running.join(', ')} (its figures grow)`);
  if (rows.length > 1 && !common.length) notes.push('no game or variation was played by every run: the common figures are empty');
  else if (rows.length > 1 && rows.some((r) => r.all.episodes > common.length)) {
    notes.push(`${plural(common.length, 'episode')} in common: compare the rows on those (--common, or "common episodes only")`);
  }
  return { runs: rows, common: { episodes: common.length, items: common }, notes };
}
