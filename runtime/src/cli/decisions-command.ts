/** `stephrl decisions`: a model's greedy answers to stored transitions against the expert's, per role and action verb. */
import type { Command } from 'commander';
import { measureDecisions, type DecisionReport, type Rate } from '../evaluate/decisions';
import { openModel } from '../llm/open-model';
import { resolveAdapter } from '../llm/shipped-adapters';
import { stderrLogger } from '../util/log';
import { parseGames } from './agent-commands';
import { withStore } from './dataset-commands';
import { parsePositiveInt, UsageError } from './episode-args';
import { addModelOptions, modelChoice, type ModelCliOptions } from './model-options';
import { printJson } from './output';
import { ProgressBar } from './progress-bar';
import { adapterTransitionSet } from '../train/training';

interface DecisionsCliOptions extends ModelCliOptions {
  set?: string;
  games?: string;
  episodes?: string;
  perRole?: string;
  misses: string;
  db?: string;
  json?: boolean;
}

const percent = (r: Rate): string =>
  `${(100 * r.rate).toFixed(1)}% (${r.correct}/${r.n}, 95% CI ${(100 * r.interval[0]).toFixed(0)}-${(100 * r.interval[1]).toFixed(0)}%)`;

function printReport(report: DecisionReport, misses: number): void {
  console.log(`transition set ${report.setId}, ${report.episodes} episodes: greedy answer = expert target`);
  for (const role of report.roles) {
    console.log(`  ${role.role.padEnd(9)} ${percent(role)}`);
    if (role.action) console.log(`    action ${percent(role.action)}; done flag ${percent(role.doneFlag!)}`);
    for (const [verb, r] of Object.entries(role.byVerb ?? {})) console.log(`      ${verb.padEnd(10)} ${percent(r)}`);
  }
  for (const role of report.roles) {
    for (const miss of role.misses.slice(0, misses)) {
      console.log(
        `  [${role.role}] episode ${miss.episodeId} step ${miss.stepIdx ?? '-'}\n    expected: ${miss.expected}\n    got:      ${miss.got}`,
      );
    }
  }
}

function parseEpisodeIds(value: string): number[] {
  return value
    .split(',')
    .filter(Boolean)
    .map((v) => parsePositiveInt(v.trim(), '--episodes'));
}

export function registerDecisionsCommand(program: Command): void {
  addModelOptions(
    program
      .command('decisions')
      .description(
        "ask the model each stored transition's prompt greedily and compare with the expert's answer: accuracy per role and per action verb, and the misses (held-apart episodes: --games @<run>/validation-games.txt)",
      )
      .option('--set <id>', "transition set (default: the adapter's, where its training folder names this dataset, else the newest STEP-HRL set)")
      .option('--games <list>', 'only these episodes, comma-separated or @FILE (as `stephrl eval --games`)')
      .option('--episodes <ids>', 'only these episode ids, comma-separated')
      .option('--per-role <n>', 'at most N transitions per role')
      .option('--misses <n>', 'misses printed per role', '5')
      .option('--db <path>', 'dataset file (default: $STEPHRL_DB or ./.stephrl/stephrl.db)')
      .option('--json', 'print the report as JSON'),
  ).action(async (o: DecisionsCliOptions) => {
    const filter = {
      ...(o.set ? { setId: parsePositiveInt(o.set, '--set') } : {}),
      ...(o.games ? { games: parseGames(o.games) } : {}),
      ...(o.episodes ? { episodeIds: parseEpisodeIds(o.episodes) } : {}),
      ...(o.perRole ? { perRole: parsePositiveInt(o.perRole, '--per-role') } : {}),
    };
    const misses = Number(o.misses);
    if (!Number.isInteger(misses) || misses < 0) throw new UsageError(`--misses must be a whole number, not '${o.misses}'`);
    if (o.adapter) resolveAdapter(o.adapter);
    const report = await withStore(o.db, async (store, signal) => {
      const setId = filter.setId ?? (await adapterTransitionSet(store, o.adapter));
      const model = await openModel(modelChoice(o), { sessions: 1, slotsPerSession: 3 }, stderrLogger('warn'));
      let bar: ProgressBar | undefined;
      try {
        return await measureDecisions(
          store.db,
          model,
          { ...filter, setId },
          {
            signal,
            onProgress: (done, total) => {
              bar ??= new ProgressBar(total, 'decisions', 'decisions');
              bar.tick(true);
            },
          },
        );
      } finally {
        bar?.finish();
        await model.close();
      }
    });
    if (o.json) printJson(report);
    else printReport(report, misses);
  });
}
