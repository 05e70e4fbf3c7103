/** `stephrl runs list|compare`: the dataset's runs, and evaluation runs side by side (the agents on the same games). */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import { DatasetStore, defaultDatasetPath } from '../store/dataset-store';
import type { RunRecord } from '../store/runs';
import { adapterName, compareRuns } from '../evaluate/compare';
import { COMPARISON_COLUMNS, bestRuns, figuresOf, runLabel, taskRows } from '../protocol/comparison';
import type { RunComparison } from '../protocol/agent';
import { RUN_KINDS, listed, type RunKind } from '../protocol/vocabulary';
import { headlineLoss } from '../protocol/metrics';
import { UsageError } from '../protocol/errors';
import { parsePositiveInt } from './episode-args';
import { alignedTable, printJson } from './output';

const dbHelp = 'dataset file (default: $STEPHRL_DB or ./.stephrl/stephrl.db)';

/** Opens an existing dataset to read it (a missing file is not created): null when there is none. */
async function openExisting(db: string | undefined): Promise<DatasetStore | null> {
  const file = path.resolve(db ?? defaultDatasetPath());
  return fs.existsSync(file) ? DatasetStore.open(file) : null;
}

export interface RunListRow {
  id: number;
  kind: RunKind;
  status: string;
  name: string;
  agent: string | null;
  adapter: string | null;
  env: string | null;
  split: string | null;
  /** Complete episodes: the evaluation's (with what it resumed) once it finished, else those it recorded so far. */
  episodes: number | null;
  /** Success or score for evaluations, the last loss for training. */
  headline: string | null;
}

async function runListRow(store: DatasetStore, run: RunRecord, ownEpisodes: Map<number, number>): Promise<RunListRow> {
  const c = run.config as { env?: string; split?: string; label?: string; agent?: string; model?: { adapter?: string | null }; kind?: string };
  const metrics = await store.runs.latestMetrics(run.id);
  const played = run.kind === 'eval' || run.kind === 'collect';
  let headline: string | null = null;
  if (metrics['eval/episodes'] !== undefined) {
    headline =
      c.env === 'scienceworld'
        ? `score ${metrics['eval/meanScore']!.toFixed(1)}`
        : `success ${(100 * (metrics['eval/successRate'] ?? 0)).toFixed(1)}%`;
  } else if (run.kind === 'train') {
    const loss = headlineLoss(metrics);
    headline = loss ? `${loss.name} ${loss.value.toFixed(4)}` : null;
  }
  return {
    id: run.id,
    kind: run.kind,
    status: run.status,
    name: run.name,
    agent: played ? (c.label ?? c.agent ?? null) : run.kind === 'train' ? (c.agent ?? 'stephrl') : null,
    adapter: played ? await adapterName(store, c.model?.adapter ?? null) : null,
    env: c.env ?? null,
    split: c.split ?? null,
    episodes: metrics['eval/episodes'] ?? (played ? (ownEpisodes.get(run.id) ?? 0) : null),
    headline,
  };
}

export async function listRuns(store: DatasetStore, kind?: RunKind): Promise<RunListRow[]> {
  const counts = await store.db.all<{ run_id: number; n: number }>(
    `SELECT run_id, count(*) AS n FROM episodes WHERE status = 'complete' AND run_id IS NOT NULL GROUP BY run_id`,
  );
  const own = new Map(counts.map((r) => [r.run_id, r.n]));
  const runs = await store.runs.list(kind);
  return Promise.all(runs.map((r) => runListRow(store, r, own)));
}

function runsTable(rows: RunListRow[]): string {
  return alignedTable(
    ['id', 'kind', 'status', 'agent', 'adapter', 'env, split', 'episodes', 'figure'],
    rows.map((r) => [
      String(r.id),
      r.kind,
      r.status,
      r.agent ?? '-',
      r.kind === 'eval' || r.kind === 'collect' ? (r.adapter ?? 'base model') : '-',
      r.env ? `${r.env} ${r.split ?? ''}`.trim() : '-',
      r.episodes === null ? '-' : String(r.episodes),
      r.headline ?? '-',
    ]),
    new Set([0, 6]),
  );
}

/** The comparison as text: one row per run, then one row per task, best values starred. */
export function comparisonTable(comparison: RunComparison, common: boolean): string {
  const { runs } = comparison;
  const best = COMPARISON_COLUMNS.map((column) => bestRuns(runs, column, common));
  const mark = (text: string, starred: boolean) => (starred ? `${text} *` : text);
  const main = alignedTable(
    ['run', 'agent · adapter', 'env, split', 'episodes', ...COMPARISON_COLUMNS.map((c) => c.label)],
    runs.map((r) => {
      const f = figuresOf(r, common);
      const done = common ? `${f.episodes}` : `${f.episodes}/${r.planned ?? '?'}`;
      return [
        String(r.runId),
        runLabel(r),
        `${r.env} ${r.split}`,
        done,
        ...COMPARISON_COLUMNS.map((c, i) => mark(c.text(r, f), best[i]!.has(r.runId))),
      ];
    }),
    new Set([0, 3, ...COMPARISON_COLUMNS.map((_, i) => i + 4)]),
  );
  const tasks = taskRows(comparison, common);
  const perTask = alignedTable(
    ['task', ...runs.map((r) => `run ${r.runId}`)],
    tasks.map((t) => [t.task, ...t.cells.map((cell) => (cell ? mark(cell.text, cell.best) : '-'))]),
    new Set(runs.map((_, i) => i + 1)),
  );
  const scope = common
    ? `over the ${comparison.common.episodes} episodes every run played`
    : `over every episode of each run (${comparison.common.episodes} in common: --common compares on those alone)`;
  return [
    `Runs side by side, ${scope}:`,
    '',
    main,
    '',
    'Per task (ALFWorld: won/episodes; ScienceWorld: mean score):',
    '',
    perTask,
    '',
    '* best of the compared runs; success with its 95% Wilson interval, score with its 95% interval; tokens are prompt tokens.',
    ...comparison.notes.map((n) => `note: ${n}`),
  ].join('\n');
}

export function registerRunsCommand(program: Command): void {
  const runs = program.command('runs').description("the dataset's runs; evaluation runs side by side");
  runs
    .command('list')
    .description('every run, oldest first: kind, status, agent, adapter, environment and split, episodes, and its headline figure')
    .option('--db <path>', dbHelp)
    .option('--kind <kind>', `only runs of this kind (${listed(RUN_KINDS)})`)
    .option('--json', 'print JSON')
    .action(async (o: { db?: string; kind?: string; json?: boolean }) => {
      if (o.kind && !(RUN_KINDS as readonly string[]).includes(o.kind)) throw new UsageError(`--kind must be ${listed(RUN_KINDS)}, not '${o.kind}'`);
      const store = await openExisting(o.db);
      try {
        const rows = store ? await listRuns(store, o.kind as RunKind | undefined) : [];
        if (o.json) return printJson({ runs: rows });
        console.log(rows.length ? runsTable(rows) : 'no runs in this dataset');
      } finally {
        await store?.close();
      }
    });
  runs
    .command('compare <ids...>')
    .description(
      'evaluation runs side by side: agent and adapter, episodes done of those planned, success (ALFWorld) or score (ScienceWorld) with its 95% interval, invalid actions, steps, prompt tokens per episode and per decision, then per task; --common restricts every row to the games or variations all runs played',
    )
    .option('--db <path>', dbHelp)
    .option('--common', 'figures over only the episodes every run played')
    .option('--json', 'print JSON (both the figures over all episodes and over the common ones)')
    .action(async (ids: string[], o: { db?: string; common?: boolean; json?: boolean }) => {
      const runIds = ids
        .flatMap((id) => id.split(','))
        .filter(Boolean)
        .map((id) => parsePositiveInt(id, 'run id'));
      const store = await openExisting(o.db);
      if (!store) throw new UsageError(`there is no dataset at ${path.resolve(o.db ?? defaultDatasetPath())}`);
      try {
        const comparison = await compareRuns(store, runIds);
        if (o.json) return printJson(comparison);
        console.log(comparisonTable(comparison, Boolean(o.common)));
      } finally {
        await store.close();
      }
    });
}
