/**
 * `stephrl models ship`: turns an adapter a training run exported into a shipped one (runtime/adapters/<name>/):
 * the file, and a card written from the store alone: the data it was trained on, the training command and settings,
 * steps and wall time, and every completed evaluation of that exact file with its 95% interval and the command that
 * reproduces it. Nothing on the card is typed by hand, so it cannot claim what was not measured.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ADAPTER_NAME, AdapterCard, type AdapterOrigin } from '../protocol/trainer';
import type { EnvKind } from '../protocol/environment';
import type { AdapterMode } from '../protocol/vocabulary';
import type { DatasetStore } from '../store/dataset-store';
import { wilsonInterval, formatSuccess } from '../evaluate/intervals';
import { countedToCap } from '../evaluate/summary';
import type { EpisodeSummary } from '../protocol/dataset';
import { listShippedAdapters, shippedAdaptersDir, type ShippedAdapter } from '../llm/shipped-adapters';
import { ModelError } from '../llm/types';

export interface ShipOptions {
  name: string;
  /** The adapter GGUF a training run in this store exported. */
  adapter: string;
  title: string;
  /** Where shipped adapters live (default: runtime/adapters). */
  dir?: string;
  /** The machine the run trained on (default: this one). */
  machine?: string;
}

interface RunRow {
  id: number;
  config: string;
}

interface TrainConfigRecord {
  kind: string;
  preset: string;
  model: string;
  setId: number;
  steps: number | null;
  /** Where a finished run was trained further: the steps each command went to. */
  stages?: number[];
  overrides: Record<string, unknown>;
  /** The adapter the run started from (`--init-adapter`), resolved to its file or folder. */
  initAdapter?: string | null;
}

interface EvalConfigRecord {
  env: EnvKind;
  split: string;
  agent: string;
  label: string;
  /** adapterMode: absent in runs recorded before merging existed, which applied the adapter separately. */
  model: { adapter: string | null; adapterMode?: AdapterMode | null };
  decoding: { constrained: boolean };
  maxSteps: number;
  tasks: string[] | null;
  games?: string[] | null;
  limit: number | null;
  perTaskLimit: number | null;
}

export const thisMachine = (): string =>
  `${os.cpus()[0]?.model.trim() ?? 'unknown CPU'}, ${os.availableParallelism()} cores, ${Math.round(os.totalmem() / 2 ** 30)} GB`;

/** Training time: the time between a run's logged steps, leaving out pauses (a run stopped and resumed later, or
 * trained further in stages: any gap over 15 minutes; a step takes under a minute on the slowest machine measured). */
async function activeSeconds(store: DatasetStore, runId: number): Promise<number> {
  const rows = await store.db.all<{ time: string }>(
    `SELECT min(time) AS time FROM metrics WHERE run_id = ? AND name = 'loss' GROUP BY step ORDER BY step`,
    [runId],
  );
  let seconds = 0;
  for (let i = 1; i < rows.length; i++) {
    const gap = (Date.parse(rows[i]!.time) - Date.parse(rows[i - 1]!.time)) / 1000;
    if (gap > 0 && gap < 15 * 60) seconds += gap;
  }
  return seconds;
}

/** The command that trained a run; a run trained further after it finished took one command per stage. */
function trainingCommand(config: TrainConfigRecord, settings: string, origin: AdapterOrigin | undefined): string {
  const from = origin ? ` --init-adapter ${origin.adapter}` : '';
  const base = `stephrl train ${config.kind} --set ${config.setId} --preset ${config.preset}${from}`;
  const stages = config.stages?.length ? config.stages : [config.steps];
  return stages.map((steps) => `${base}${steps ? ` --steps ${steps}` : ''}${settings}`).join(' && ');
}

export async function shipAdapter(store: DatasetStore, options: ShipOptions): Promise<ShippedAdapter> {
  if (!ADAPTER_NAME.test(options.name)) throw new ModelError(`an adapter name is lower-case letters, digits and dashes, not '${options.name}'`);
  const gguf = path.resolve(options.adapter);
  if (!fs.existsSync(gguf)) throw new ModelError(`the adapter ${gguf} does not exist`);
  const exported = await store.db.get<{ run_id: number }>(
    `SELECT run_id FROM checkpoints WHERE path = ? AND kind = 'gguf-adapter' ORDER BY id DESC LIMIT 1`,
    [gguf],
  );
  if (!exported) throw new ModelError(`${gguf} is not an adapter a training run in ${store.file} exported: ship it from the dataset that trained it`);
  const run = (await store.db.get<RunRow>('SELECT id, config FROM runs WHERE id = ?', [exported.run_id]))!;
  const config = JSON.parse(run.config) as TrainConfigRecord;
  const runSteps =
    (await store.db.get<{ n: number | null }>('SELECT max(step) AS n FROM metrics WHERE run_id = ?', [run.id]))?.n ?? config.steps ?? 0;
  const steps = (await store.runs.adapterStep(run.id)) ?? runSteps;
  const trainSeconds = await activeSeconds(store, run.id);
  const origin = config.initAdapter ? adapterOrigin(config.initAdapter, gguf, options.dir) : undefined;

  const data = await describeData(store, config.setId);
  const scores = await measuredScores(store, gguf, options.name);
  if (!scores.length)
    throw new ModelError(`no completed evaluation of ${gguf} in ${store.file}: evaluate it (\`stephrl eval --adapter ${gguf}\`) before shipping it`);
  const env = scores[0]!.env;
  const trainSettings = Object.entries(config.overrides ?? {}).length ? ` --config '${JSON.stringify(config.overrides)}'` : '';
  const card = AdapterCard.parse({
    name: options.name,
    title: options.title,
    env,
    baseModel: path.basename(config.model),
    agent: 'stephrl',
    data: data.text,
    command: trainingCommand(config, trainSettings, origin),
    steps,
    ...(runSteps > steps ? { runSteps } : {}),
    trainSeconds: Math.round(trainSeconds),
    machine: options.machine ?? thisMachine(),
    config: { preset: config.preset, ...config.overrides },
    ...(origin ? { startedFrom: origin } : {}),
    scores: scores.map(({ env: _env, ...s }) => s),
    createdAt: new Date().toISOString(),
  });

  const dir = path.join(options.dir ?? shippedAdaptersDir, options.name);
  fs.mkdirSync(dir, { recursive: true });
  fs.copyFileSync(gguf, path.join(dir, 'adapter.gguf'));
  fs.writeFileSync(path.join(dir, 'card.json'), `${JSON.stringify(card, null, 2)}\n`);
  fs.writeFileSync(path.join(dir, 'card.md'), cardMarkdown(card, data.transitions));
  return listShippedAdapters(options.dir ?? shippedAdaptersDir).find((a) => a.name === options.name)!;
}

/**
 * What a run started from, read before anything is written: shipping over the name it started from replaces that
 * file, and the card keeps the earlier one's hash and its card's account of it. Shipped again over the same name,
 * that file is already this adapter: its card still holds the origin.
 */
function adapterOrigin(initAdapter: string, gguf: string, dir: string | undefined): AdapterOrigin {
  if (!fs.existsSync(initAdapter))
    throw new ModelError(`the run started from ${initAdapter}, which is gone: the card could not say what it was trained from`);
  const sha256 = contentHash(initAdapter);
  const shipped = [...new Set([dir ?? shippedAdaptersDir, shippedAdaptersDir])]
    .flatMap((d) => listShippedAdapters(d))
    .find((a) => path.resolve(a.path) === path.resolve(initAdapter));
  if (!shipped) return { adapter: initAdapter, sha256 };
  if (sha256 === contentHash(gguf)) {
    if (shipped.startedFrom) return shipped.startedFrom;
    throw new ModelError(`${initAdapter}, which the run started from, already holds this adapter, and its card does not say what it replaced`);
  }
  const { name: adapter, title, data, command, steps, trainSeconds, machine } = shipped;
  return { adapter, sha256, title, data, command, steps, trainSeconds, machine };
}

/** SHA-256 of a file, or of a folder's files (an adapter's training folder) by their names and contents in order. */
function contentHash(file: string): string {
  const hash = crypto.createHash('sha256');
  if (fs.statSync(file).isDirectory()) {
    for (const name of fs.readdirSync(file, { recursive: true }).map(String).sort()) {
      const inside = path.join(file, name);
      if (!fs.statSync(inside).isFile()) continue;
      hash.update(name);
      hash.update(fs.readFileSync(inside));
    }
  } else hash.update(fs.readFileSync(file));
  return hash.digest('hex');
}

async function describeData(store: DatasetStore, setId: number): Promise<{ text: string; transitions: string }> {
  const set = await store.db.get<{ name: string; counts: string }>('SELECT name, counts FROM transition_sets WHERE id = ?', [setId]);
  const sources = await store.db.all<{ env: string; split: string; agent: string; n: number }>(
    `SELECT e.env, e.split, e.agent, count(DISTINCT e.id) AS n FROM transitions t JOIN episodes e ON e.id = t.episode_id
     WHERE t.set_id = ? GROUP BY e.env, e.split, e.agent ORDER BY n DESC`,
    [setId],
  );
  const counts = set ? (JSON.parse(set.counts) as Record<string, number>) : {};
  const transitions = ['high', 'low', 'progress'].map((r) => `${counts[r] ?? 0} ${r}`).join(', ');
  const text = `${sources.map((s) => `${s.n} ${s.env} ${s.split} episodes (${s.agent})`).join(' + ')}: ${transitions} transitions`;
  return { text, transitions };
}

type Score = AdapterCard['scores'][number] & { env: EnvKind };

/** The ALFWorld splits `npm run setup` installs; a card's command for another names the data it needs. */
const SET_UP_ALFWORLD_SPLITS = ['valid_seen', 'valid_train'];

/** Every completed evaluation of the file, one score per split and decoding (the latest episode of each game). */
async function measuredScores(store: DatasetStore, gguf: string, name: string): Promise<Score[]> {
  const runs = await store.db.all<RunRow>(`SELECT id, config FROM runs WHERE kind = 'eval' AND status = 'complete' ORDER BY id`);
  const groups = new Map<string, EvalConfigRecord>();
  for (const run of runs) {
    const c = JSON.parse(run.config) as EvalConfigRecord;
    if (c.model?.adapter !== gguf) continue;
    groups.set(`${c.env}|${c.split}|${c.label}`, c); // the latest run's settings describe the group
  }
  const scores: Score[] = [];
  for (const c of groups.values()) {
    const latest = new Map<string, EpisodeSummary>();
    for (const e of await store.episodes.list({ env: c.env, split: c.split, agent: c.label, adapter: gguf, status: 'complete' })) {
      latest.set(e.game ?? `${e.task}:${e.variation}`, e);
    }
    // Steps as the evaluation reports them: an episode ended at a repeated state counts as played to the cap.
    const episodes = (await countedToCap(store, [...latest.values()])).episodes.map((e) => ({ won: e.won, steps: e.stepCount }));
    const wins = episodes.filter((e) => e.won).length;
    const flags = [
      c.agent !== 'stephrl' ? ` --agent ${c.agent}` : '',
      c.decoding.constrained ? ' --constrained' : '',
      c.tasks ? ` --tasks ${c.tasks.join(',')}` : '',
      c.games ? ` --games <${c.games.length} games>` : '',
      c.perTaskLimit ? ` --per-task ${c.perTaskLimit}` : '',
      c.limit ? ` --limit ${c.limit}` : '',
      c.maxSteps !== 50 ? ` --max-steps ${c.maxSteps}` : '',
      c.env === 'alfworld' && !SET_UP_ALFWORLD_SPLITS.includes(c.split) ? ` --data <ALFWorld data with ${c.split}>` : '',
      (c.model.adapterMode ?? 'separate') === 'separate' ? ' --adapter-mode separate' : '',
    ].join('');
    scores.push({
      env: c.env,
      split: c.split,
      constrained: c.decoding.constrained,
      episodes: episodes.length,
      successRate: episodes.length ? wins / episodes.length : 0,
      successInterval: wilsonInterval(wins, episodes.length).map((x) => Number(x.toFixed(4))) as [number, number],
      meanSteps: Number((episodes.reduce((a, e) => a + e.steps, 0) / Math.max(1, episodes.length)).toFixed(1)),
      command: `stephrl eval --env ${c.env} --split ${c.split} --adapter ${name}${flags}`,
    });
  }
  return scores;
}

function originLines(origin: AdapterOrigin | undefined): string[] {
  if (!origin) return [];
  const lines = [`- Started from \`${origin.adapter}\` (SHA-256 \`${origin.sha256.slice(0, 16)}\`)${origin.title ? `: ${origin.title}` : ''}.`];
  if (origin.command)
    lines.push(
      `  It was trained by \`${origin.command}\` (${origin.steps} steps, ${((origin.trainSeconds ?? 0) / 60).toFixed(0)} min on ${origin.machine}) on ${origin.data}.`,
      `  Where this adapter replaced it under the same name, that file is in the repository's history (\`git log -- runtime/adapters/${origin.adapter}/adapter.gguf\`).`,
    );
  return lines;
}

function cardMarkdown(card: AdapterCard, transitions: string): string {
  const rows = card.scores.map(
    (s) =>
      `| ${card.env} ${s.split} | ${s.constrained ? 'constrained' : 'free'} | ${s.episodes} | ${formatSuccess(s.successRate, s.successInterval)} | ${s.meanSteps} | \`${s.command}\` |`,
  );
  return [
    `# ${card.name}: ${card.title}`,
    '',
    `A LoRA adapter for **${card.baseModel}** (the STEP-HRL agent's planner, actor and progress roles). Load it by name:`,
    `\`stephrl eval --env ${card.env} --split ${card.scores[0]?.split ?? 'valid_seen'} --adapter ${card.name}\`.`,
    '',
    '## Scores',
    '',
    '| split | actions | episodes | success (95% Wilson interval) | mean steps | command |',
    '| --- | --- | ---: | --- | ---: | --- |',
    ...rows,
    '',
    '## Training',
    '',
    `- Data: ${card.data}.`,
    `- Command: \`${card.command}\` (${transitions} transitions).`,
    `- Steps: ${card.steps}${card.runSteps ? ` (the best validated step of the run's ${card.runSteps})` : ''}; training time ${(card.trainSeconds / 60).toFixed(0)} min on ${card.machine}.`,
    `- Settings: \`${JSON.stringify(card.config)}\`.`,
    ...originLines(card.startedFrom),
    `- Written by \`stephrl models ship\` from the dataset that trained and evaluated it, ${card.createdAt.slice(0, 10)}.`,
    '',
  ].join('\n');
}
