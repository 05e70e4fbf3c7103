/** `stephrl eval`: run an agent with a model over a split and record everything (resumable). */
import type { Command } from 'commander';
import * as fs from 'node:fs';
import { ALFWORLD_SPLITS, SCIENCEWORLD_SPLITS } from '../protocol/environment';
import { AGENT_KINDS } from '../agent/types';
import { evaluateAgent } from '../services/evaluate';
import { cliRequest, numberOption } from '../services/request';
import { formatSuccess } from '../evaluate/intervals';
import { resolveAdapter } from '../llm/shipped-adapters';
import type { ModelInfo } from '../llm/types';
import type { EvaluationSummary } from '../evaluate/summary';
import { stderrLogger } from '../util/log';
import { withStore } from './dataset-commands';
import { parseAgent, parseEnvKind, UsageError, parseParallel } from './episode-args';
import { addModelOptions, modelChoice, type ModelCliOptions } from './model-options';
import { printJson } from './output';
import { resolveCheckpoint } from '../train/checkpoint-path';
import { ProgressBar } from './progress-bar';
import { plural } from '../util/plural';
import type { EpisodeTime } from '../protocol/agent';
import type { ModelRole } from '../protocol/vocabulary';

export interface EvalCliOptions extends ModelCliOptions {
  env: string;
  split: string;
  agent: string;
  tasks?: string;
  games?: string;
  limit?: string;
  perTask?: string;
  parallel: string;
  maxSteps: string;
  temperature: string;
  seed?: string;
  constrained?: boolean;
  keepTexts: boolean;
  repeatStop: boolean;
  data?: string;
  db?: string;
  json?: boolean;
}

/** `--games a,b` or `--games @file` (one per line; blank lines and # comments ignored). */
export function parseGames(value: string): string[] {
  let text = value;
  if (value.startsWith('@')) {
    try {
      text = fs.readFileSync(value.slice(1), 'utf8');
    } catch (error) {
      throw new UsageError(`--games: cannot read ${value.slice(1)}: ${(error as Error).message}`);
    }
  }
  const games = text
    .split(/[,\n]/)
    .map((g) => g.trim())
    .filter((g) => g && !g.startsWith('#'));
  if (!games.length) throw new UsageError('--games names no episode');
  return games;
}

function printSummary(s: EvaluationSummary): void {
  const headline =
    s.env === 'scienceworld'
      ? `mean score ${s.meanScore.toFixed(2)} (95% CI ${s.scoreInterval[0].toFixed(1)}-${s.scoreInterval[1].toFixed(1)})`
      : `success rate ${formatSuccess(s.successRate, s.successInterval)}`;
  console.log(
    `${s.agent} with ${s.model}${s.adapter ? ` + ${s.adapter}` : ''} on ${s.env} ${s.split}: ${headline} over ${plural(s.episodes, 'episode')}` +
      (s.missing ? ` (${s.missing} missing: rerun to finish)` : ''),
  );
  console.log(`invalid actions ${(s.invalidActionRate * 100).toFixed(1)}%, ${s.meanSteps} steps per episode`);
  if (s.repeatStops)
    console.log(
      `${plural(s.repeatStops, 'episode')} ended at a repeated state (a cycle, lost); steps and tokens count ${s.repeatStops === 1 ? 'it' : 'them'} as played to the step cap`,
    );
  console.log(
    `tokens per decision: prompt ${s.promptTokensPerDecision} (${s.cachedPromptTokensPerDecision} from cache), completion ${s.completionTokensPerDecision}; ` +
      `per episode: prompt ${s.promptTokensPerEpisode}, completion ${s.completionTokensPerEpisode}`,
  );
  if (s.decisionsPerSecond) console.log(`${s.decisionsPerSecond} decisions/s over ${s.seconds} s`);
  if (s.time) console.log(timeLine(s.time));
  const rows = s.perTask.map(
    (t) =>
      `  ${t.task.padEnd(48)} ${String(t.episodes).padStart(4)}  score ${t.meanScore.toFixed(1).padStart(6)}  success ${(t.successRate * 100).toFixed(0).padStart(3)}%  invalid ${(t.invalidActionRate * 100).toFixed(0).padStart(3)}%`,
  );
  if (rows.length > 1) console.log(['per task:', ...rows].join('\n'));
}

const ROLE_NAMES: Record<ModelRole, string> = { high: 'planner', low: 'actor', progress: 'progress', flat: 'flat', annotator: 'annotator' };

/** Where an episode's time went, on average over the episodes this run played. */
export function timeLine(t: EpisodeTime): string {
  const each = (seconds: number) => (seconds / t.episodes).toFixed(1);
  const roles = Object.entries(t.modelSeconds) as Array<[ModelRole, number]>;
  const model = roles.reduce((a, [, s]) => a + s, 0);
  return (
    `time per episode: ${each(t.episodeSeconds)} s: model ${each(model)} s (${roles.map(([r, s]) => `${ROLE_NAMES[r]} ${each(s)}`).join(', ')}), ` +
    `environment ${each(t.environmentSeconds)} s, reset ${each(t.resetSeconds)} s, other ${each(t.otherSeconds)} s (prompts, grammars, store writes)`
  );
}

/** Runs a policy over a split and records it: `eval` (greedy by default) and `collect` (sampled rollouts). */
export async function playPolicy(o: EvalCliOptions, runKind: 'eval' | 'collect'): Promise<EvaluationSummary> {
  const env = parseEnvKind(o.env);
  if (o.adapter) resolveAdapter(o.adapter); // a wrong adapter name fails before anything is opened
  // The request the JSON-RPC server would get, checked by the same schema.
  const request = cliRequest('agent/evaluate', {
    env,
    split: o.split,
    agent: parseAgent(o.agent),
    model: modelChoice(o),
    tasks: o.tasks?.split(',').filter(Boolean),
    games: o.games ? parseGames(o.games) : undefined,
    limit: numberOption(o.limit),
    perTask: numberOption(o.perTask),
    parallel: parseParallel(o.parallel),
    maxSteps: numberOption(o.maxSteps),
    temperature: numberOption(o.temperature),
    seed: numberOption(o.seed),
    constrained: Boolean(o.constrained),
    keepTexts: o.keepTexts,
    repeatStop: o.repeatStop,
    alfworldData: o.data,
  });
  return withStore(o.db, async (store, signal) => {
    let bar: ProgressBar | undefined;
    try {
      return await evaluateAgent(
        store,
        request,
        {
          signal,
          log: stderrLogger('warn'),
          onModel: (info) => process.stderr.write(`model: ${describeModel(info)}\n`),
          onPlan: ({ total, skipped, pending, runId }) => {
            process.stderr.write(
              `${env} ${o.split}: ${plural(total, 'episode')}, ${skipped} already evaluated, ${pending} to run${runId ? ` (run ${runId})` : ''} in ${store.file}\n`,
            );
            if (pending) bar = new ProgressBar(pending, runKind);
          },
          onEpisode: ({ ok, label, error }) => {
            if (!ok) process.stderr.write(`\n${label}: ${error}\n`);
            bar?.tick(ok);
          },
        },
        runKind,
      );
    } finally {
      bar?.finish();
    }
  });
}

/** The options `eval` and `collect` share: which episodes, how many at once, how long, where the data is. */
function policyRunOptions(command: Command): Command {
  return command
    .option('--tasks <list>', 'only these tasks (ScienceWorld names or ALFWorld task types), comma-separated')
    .option(
      '--games <list>',
      'only these episodes, comma-separated or @FILE (one per line): ALFWorld game keys (json_2.1.1/<split>/<task>/<trial>) or folders, ScienceWorld task:variation',
    )
    .option('--per-task <n>', 'only the first N episodes of each task')
    .option('--parallel <n>', 'episodes at once (environment workers and model sessions)', '1')
    .option('--max-steps <n>', 'environment steps per episode', '50')
    .option('--data <dir>', 'ALFWorld data directory (default: $ALFWORLD_DATA or the one set up by npm run setup)')
    .option('--db <path>', 'dataset file (default: $STEPHRL_DB or ./.stephrl/stephrl.db)')
    .option('--json', 'print the summary as JSON');
}

function reportSummary(summary: EvaluationSummary, json: boolean | undefined): void {
  if (json) printJson(summary);
  else printSummary(summary);
  if (summary.failures.length) process.exitCode = 1;
}

export function registerAgentCommands(program: Command): void {
  policyRunOptions(
    addModelOptions(
      program
        .command('eval')
        .description(
          'run an agent with a model over a split; every episode, step, subtask, progress and model call is stored as it happens (resumable)',
        )
        .requiredOption('--env <env>', 'scienceworld or alfworld')
        .requiredOption('--split <split>', `ScienceWorld: ${SCIENCEWORLD_SPLITS.join('|')}; ALFWorld: ${ALFWORLD_SPLITS.join('|')}`)
        .option('--agent <agent>', AGENT_KINDS.join(', '), 'stephrl')
        .option('--limit <n>', 'only the first N episodes of the split')
        .option('--temperature <t>', 'sampling temperature (0: greedy)', '0')
        .option('--seed <n>', 'sampling seed (with a temperature above 0)')
        .option('--constrained', "restrict actions to the environment's valid commands (grammar-constrained decoding)")
        .option('--no-keep-texts', 'store token counts but not prompt and completion texts')
        .option(
          '--no-repeat-stop',
          'play every greedy episode out, even one that has come back to a state it was in (a cycle to the step cap; ALFWorld)',
        ),
    ),
  ).action(async (o: EvalCliOptions) => reportSummary(await playPolicy(o, 'eval'), o.json));

  policyRunOptions(
    addModelOptions(
      program
        .command('collect')
        .description(
          "sample rollouts of a trained STEP-HRL policy for offline RL: temperature 1, 50-step cap, stored with source 'policy' and the policy's own subtasks and progress (resumable)",
        )
        .requiredOption('--env <env>', 'scienceworld or alfworld')
        .option(
          '--checkpoint <path>',
          'the adapter to sample from: its adapter.gguf or the training output folder (default: --adapter, or the base model alone)',
        )
        .option('--split <split>', 'split to sample from', 'train')
        .option('--episodes <n>', 'only the first N episodes of the split')
        .option('--temperature <t>', 'sampling temperature', '1')
        .option('--seed <n>', 'sampling seed')
        .option('--constrained', "sample actions within the environment's valid commands, as an agent evaluated with --constrained acts"),
    ),
  ).action(async (o: Omit<EvalCliOptions, 'agent' | 'limit' | 'keepTexts' | 'repeatStop'> & { checkpoint?: string; episodes?: string }) => {
    let { model, adapter } = o;
    if (o.checkpoint) {
      let resolved;
      try {
        resolved = resolveCheckpoint(o.checkpoint);
      } catch (error) {
        throw new UsageError((error as Error).message);
      }
      adapter = resolved.adapterGguf;
      model ??= resolved.baseModel ?? undefined;
    }
    const { episodes, checkpoint: _checkpoint, ...rest } = o;
    reportSummary(
      await playPolicy(
        { ...rest, model, adapter, agent: 'stephrl', keepTexts: true, repeatStop: true, ...(episodes ? { limit: episodes } : {}) },
        'collect',
      ),
      o.json,
    );
  });
}

/** The model line an evaluation prints: backend, device, context, and on the embedded backend its threads and layout. */
function describeModel(info: ModelInfo): string {
  const threads = info.threads ? `, ${plural(info.threads, 'thread')}` : '';
  const layout = info.parallelLayout === 'contexts' ? ', a context per episode' : '';
  return `${info.name} (${info.backend}, ${info.device}, context ${info.contextSize}${threads}${layout})`;
}
