/**
 * `stephrl tokens`: what each agent's prompts cost on the same expert trajectories, counted with the model's own
 * tokenizer (STEP-HRL.md, "Evaluation protocol": token usage). Nothing is stored: the trajectories are annotated in
 * memory and replayed through every agent's prompt builders.
 */
import type { Command } from 'commander';
import { ALFWORLD_SPLITS, SCIENCEWORLD_SPLITS } from '../protocol/environment';
import { DEFAULT_TOKEN_MODEL, DEFAULT_TOKEN_SPLITS, measureTokens, type TokenReport } from '../agent/token-measure';
import { TOKEN_AGENTS } from '../agent/token-replay';
import { parseEnvKind, parsePositiveInt, parseParallel } from './episode-args';
import { onStopSignals, printJson } from './output';
import { ProgressBar } from './progress-bar';
import { plural } from '../util/plural';

interface TokensOptions {
  env: string;
  split?: string;
  tasks?: string;
  limit?: string;
  perTask?: string;
  parallel: string;
  model?: string;
  data?: string;
  json?: boolean;
}

export function registerTokensCommand(program: Command): void {
  program
    .command('tokens')
    .description("replay expert trajectories through every agent's prompts and count their tokens (stephrl, react, hrl-history)")
    .requiredOption('--env <env>', 'scienceworld or alfworld')
    .option(
      '--split <split>',
      `ScienceWorld: ${SCIENCEWORLD_SPLITS.join('|')} (default ${DEFAULT_TOKEN_SPLITS.scienceworld}); ` +
        `ALFWorld: ${ALFWORLD_SPLITS.join('|')} (default ${DEFAULT_TOKEN_SPLITS.alfworld})`,
    )
    .option('--tasks <list>', 'only these tasks (ScienceWorld names or ALFWorld task types), comma-separated')
    .option('--limit <n>', 'only the first N episodes of the split')
    .option('--per-task <n>', 'only the first N episodes of each task')
    .option('--parallel <n>', 'environment workers running at once', '1')
    .option('--model <path>', 'GGUF model whose tokenizer counts', DEFAULT_TOKEN_MODEL)
    .option('--data <dir>', 'ALFWorld data directory (default: $ALFWORLD_DATA or the one set up by npm run setup)')
    .option('--json', 'print JSON')
    .action(async (o: TokensOptions) => {
      const env = parseEnvKind(o.env);
      const controller = new AbortController();
      const stopListening = onStopSignals(() => controller.abort());
      let bar: ProgressBar | undefined;
      let report: TokenReport;
      try {
        report = await measureTokens({
          env,
          ...(o.split ? { split: o.split } : {}),
          ...(o.tasks ? { tasks: o.tasks.split(',').filter(Boolean) } : {}),
          ...(o.limit ? { limit: parsePositiveInt(o.limit, '--limit') } : {}),
          ...(o.perTask ? { perTaskLimit: parsePositiveInt(o.perTask, '--per-task') } : {}),
          parallel: parseParallel(o.parallel),
          ...(o.model ? { modelPath: o.model } : {}),
          ...(o.data ? { alfworldData: o.data } : {}),
          signal: controller.signal,
          onPlan: ({ total }) => {
            process.stderr.write(`${env} ${o.split ?? DEFAULT_TOKEN_SPLITS[env]}: ${total} expert episodes to replay\n`);
            bar = new ProgressBar(total, 'tokens');
          },
          onEpisode: ({ ok, label, error }) => {
            if (!ok) process.stderr.write(`\n${label}: ${error}\n`);
            bar?.tick(ok);
          },
        });
      } finally {
        bar?.finish();
        stopListening();
      }
      // The per-episode token lists stay out of the output: they are for callers of measureTokens.
      const { perEpisode: _perEpisode, ...figures } = report;
      if (o.json) printJson(figures);
      else printTable(report);
      if (report.failed) process.exitCode = 1;
      if (report.interrupted) process.exitCode = 130;
    });
}

function printTable(r: TokenReport): void {
  const fixed = (x: number, digits = 0) => (Number.isFinite(x) ? x.toFixed(digits) : '-');
  const header = ['agent', 'decisions/ep', 'prompt/decision', 'p95/decision', 'prompt/ep', 'completion/ep', 'p95/median worst', 'mean', 'vs react'];
  const rows = TOKEN_AGENTS.map((agent) => {
    const a = r.agents[agent];
    return [
      agent,
      fixed(a.decisionsPerEpisode, 1),
      fixed(a.promptTokensPerDecision.mean),
      fixed(a.promptTokensPerDecision.p95),
      fixed(a.promptTokensPerEpisode.mean),
      fixed(a.completionTokensPerEpisode),
      fixed(a.withinEpisodeP95OverMedian.worst, 2),
      fixed(a.withinEpisodeP95OverMedian.mean, 2),
      fixed(a.promptTokensOverReact.ofMeans, 3),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(
    `${r.env} ${r.split}: ${r.episodes} expert episodes (${fixed(r.steps.meanPerEpisode, 1)} steps, ` +
      `${fixed(r.subtasksPerEpisode, 1)} subtasks each), tokenizer ${r.model ?? '(given)'}, ${fixed(r.seconds, 1)} s`,
  );
  console.log(line(header));
  for (const row of rows) console.log(line(row));
  const { stephrlOverReactPerEpisode: ratio, withinEpisodeP95OverMedian: flat } = r.targets;
  const verdict = (t: { met: boolean }) => (t.met ? 'met' : 'NOT met');
  console.log(`target: stephrl/react prompt tokens per episode ${fixed(ratio.value, 3)} <= ${ratio.target}: ${verdict(ratio)}`);
  console.log(`target: stephrl per-step prompt p95/median (worst episode) ${fixed(flat.value, 2)} <= ${flat.target}: ${verdict(flat)}`);
  if (r.failed) {
    console.log(`${plural(r.failed, 'episode')} failed:`);
    for (const f of r.failures.slice(0, 10)) console.log(`  ${f}`);
  }
}
