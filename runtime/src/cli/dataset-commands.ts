/**
 * Dataset commands: `demos` (expert demonstrations), `annotate` (rule annotators) and `dataset`
 * (stats, show, edit, undo, transitions, export, import).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import { ALFWORLD_SPLITS, SCIENCEWORLD_SPLITS, type EnvKind } from '../protocol/environment';
import { AnnotationEdit } from '../protocol/dataset';
import { importFiles } from '../exchange/import-files';
import { collectDemos } from '../services/demonstrations';
import { cliRequest, numberOption } from '../services/request';
import { annotateStoredEpisodes } from '../annotate/run';
import { openAnnotator } from '../annotate/choose';
import { stderrLogger } from '../util/log';
import { addModelOptions, modelChoice, type ModelCliOptions } from './model-options';
import { DatasetStore, defaultDatasetPath } from '../store/dataset-store';
import type { EpisodeFilter } from '../store/episodes';
import { datasetStats } from '../store/stats';
import { materializeTransitions, loadTransitionEpisodes } from '../store/transitions';
import { agentTransitions } from '../agent/agent-transitions';
import { exportEpisodes } from '../exchange/files';
import { parseAgent, parseEnvKind, parsePositiveInt, UsageError, parseParallel } from './episode-args';
import { onStopSignals, printJson } from './output';
import { ProgressBar } from './progress-bar';
import { plural } from '../util/plural';
import { AGENT_KINDS, EPISODE_SOURCES, EXPORT_FORMATS, IMPORT_FORMATS, listed } from '../protocol/vocabulary';

const dbOption = ['--db <path>', 'dataset file (default: $STEPHRL_DB or ./.stephrl/stephrl.db)'] as const;

interface FilterOptions {
  env?: string;
  split?: string;
  source?: string;
  tasks?: string;
  ids?: string;
  wonOnly?: boolean;
}

function filterOptions(command: Command): Command {
  return command
    .option('--env <env>', 'only scienceworld or alfworld episodes')
    .option('--split <split>', 'only episodes of this split')
    .option('--source <source>', 'only expert, policy or human episodes')
    .option('--tasks <list>', 'only these tasks (ScienceWorld names or ALFWorld task types), comma-separated')
    .option('--ids <list>', 'only these episode ids, comma-separated')
    .option('--won-only', 'only episodes that reached the goal');
}

function parseFilter(o: FilterOptions): EpisodeFilter {
  const filter: EpisodeFilter = {};
  if (o.env) filter.env = parseEnvKind(o.env);
  if (o.split) filter.split = o.split;
  if (o.source) {
    if (!(EPISODE_SOURCES as readonly string[]).includes(o.source))
      throw new UsageError(`--source must be ${listed(EPISODE_SOURCES)}, not '${o.source}'`);
    filter.source = o.source as EpisodeFilter['source'] & string;
  }
  if (o.tasks) filter.tasks = o.tasks.split(',').filter(Boolean);
  if (o.ids) filter.ids = o.ids.split(',').map((id) => parsePositiveInt(id, '--ids'));
  if (o.wonOnly) filter.wonOnly = true;
  return filter;
}

/** Opens the dataset, runs `body`, and closes it, also on Ctrl-C (after `onSignal` stops the work). */
export async function withStore<T>(dbPath: string | undefined, body: (store: DatasetStore, signal: AbortSignal) => Promise<T>): Promise<T> {
  const store = await DatasetStore.open(path.resolve(dbPath ?? defaultDatasetPath()));
  const controller = new AbortController();
  const stopListening = onStopSignals(() => controller.abort());
  try {
    return await body(store, controller.signal);
  } finally {
    stopListening();
    await store.close();
    if (controller.signal.aborted) process.exitCode = 130;
  }
}

function parseFormat<F extends string>(value: string, formats: readonly F[]): F {
  if (!(formats as readonly string[]).includes(value)) {
    throw new UsageError(`--format must be one of ${formats.join(', ')}, not '${value}'`);
  }
  return value as F;
}

export function registerDatasetCommands(program: Command): void {
  program
    .command('demos')
    .description("run an environment's expert over a split and store the episodes (resumable: done ones are skipped)")
    .requiredOption('--env <env>', 'scienceworld or alfworld')
    .requiredOption('--split <split>', `ScienceWorld: ${SCIENCEWORLD_SPLITS.join('|')}; ALFWorld: ${ALFWORLD_SPLITS.join('|')}`)
    .option('--tasks <list>', 'only these tasks (ScienceWorld names or ALFWorld task types), comma-separated')
    .option('--limit <n>', 'only the first N episodes of the split')
    .option('--per-task <n>', 'only the first N episodes of each task')
    .option('--parallel <n>', 'environment workers running at once', '1')
    .option('--data <dir>', 'ALFWorld data directory (default: $ALFWORLD_DATA or the one set up by npm run setup)')
    .option('--no-tidy', "ALFWorld: store the expert's own trajectories, detours included (default: tidied, see README)")
    .option('--seed <n>', "ALFWorld: the expert's random seed (where it looks first); another seed stores one more trajectory per game", '0')
    .option(...dbOption)
    .option('--json', 'print the counts as JSON')
    .action(
      async (o: {
        env: string;
        split: string;
        tasks?: string;
        limit?: string;
        perTask?: string;
        parallel: string;
        data?: string;
        tidy: boolean;
        seed: string;
        db?: string;
        json?: boolean;
      }) => {
        const env = parseEnvKind(o.env);
        const request = cliRequest('dataset/collectDemonstrations', {
          env,
          split: o.split,
          tasks: o.tasks?.split(',').filter(Boolean),
          limit: numberOption(o.limit),
          perTask: numberOption(o.perTask),
          parallel: parseParallel(o.parallel),
          alfworldData: o.data,
          tidy: o.tidy,
          seed: numberOption(o.seed),
        });
        const report = await withStore(o.db, async (store, signal) => {
          let bar: ProgressBar | undefined;
          return collectDemos(store, request, {
            signal,
            onPlan: ({ total, skipped, pending }) => {
              process.stderr.write(`${env} ${o.split}: ${plural(total, 'episode')}, ${skipped} already stored, ${pending} to run (${store.file})\n`);
              if (pending) bar = new ProgressBar(pending, 'demos');
            },
            onEpisode: ({ ok, label, error }) => {
              if (!ok) process.stderr.write(`\n${label}: ${error}\n`);
              bar?.tick(ok);
            },
          }).finally(() => bar?.finish());
        });
        if (o.json) printJson(report);
        else {
          console.log(
            `${report.stored} stored, ${report.skipped} already there, ${report.failed} failed` +
              `${report.interrupted ? ', interrupted (rerun to finish)' : ''}; ${report.won}/${report.stored} won, ${report.steps} steps, ${report.seconds.toFixed(1)} s`,
          );
        }
        if (report.failed) process.exitCode = 1;
      },
    );

  addModelOptions(filterOptions(program.command('annotate')))
    .description(
      'annotate stored episodes (subtasks and local progress): the local rule annotators, or --annotator model to have the model refine their draft',
    )
    .option('--annotator <kind>', 'rule (deterministic, no model) or model (names and progress written by the model)', 'rule')
    .option('--overwrite-unreviewed', 'replace annotations nobody reviewed or edited (reviewed ones are never replaced)')
    .option(...dbOption)
    .option('--json', 'print the counts as JSON')
    .action(async (o: FilterOptions & ModelCliOptions & { annotator: string; overwriteUnreviewed?: boolean; db?: string; json?: boolean }) => {
      const filter = parseFilter(o);
      if (!['rule', 'model'].includes(o.annotator)) throw new UsageError(`--annotator must be rule or model, not '${o.annotator}'`);
      const report = await withStore(o.db, async (store, signal) => {
        const total = (await store.episodes.list({ status: 'complete', ...filter })).length;
        const { annotator, close } = await openAnnotator(o.annotator as 'rule' | 'model', modelChoice(o), stderrLogger('warn'));
        try {
          const bar = new ProgressBar(total, 'annotate');
          const result = await annotateStoredEpisodes(store, {
            filter,
            annotator,
            overwriteUnreviewed: o.overwriteUnreviewed ?? false,
            signal,
            onEpisode: (ok) => bar.tick(ok),
          });
          bar.finish();
          return result;
        } finally {
          await close();
        }
      });
      if (o.json) printJson(report);
      else {
        console.log(
          `${report.written} annotated, ${report.keptExisting} kept (already annotated), ${report.keptReviewed} kept (reviewed or edited), ${report.failed} failed`,
        );
        for (const f of report.failures.slice(0, 10)) console.log(`  ${f}`);
      }
      if (report.failed) process.exitCode = 1;
    });

  const dataset = program.command('dataset').description('inspect, edit, export and import datasets; derive training transitions');

  filterOptions(dataset.command('stats'))
    .description('episodes, steps, subtasks, transitions per role, annotation coverage and reviewed share')
    .option(...dbOption)
    .option('--json', 'print JSON')
    .action(async (o: FilterOptions & { db?: string; json?: boolean }) => {
      const stats = await withStore(o.db, (store) => datasetStats(store.db, parseFilter(o)));
      if (o.json) printJson(stats);
      else {
        const a = stats.annotation;
        console.log(`${stats.file} (schema ${stats.schemaVersion})`);
        console.log(
          `episodes ${stats.episodes.total} ${JSON.stringify(stats.episodes.byEnv)}, won ${stats.episodes.won}, steps ${stats.steps}, subtasks ${stats.subtasks}`,
        );
        console.log(
          `annotated ${a.annotatedEpisodes}/${a.completeEpisodes} complete episodes, progress on ${(a.progressCoverage * 100).toFixed(1)}% of steps, reviewed ${(a.reviewedShare * 100).toFixed(1)}%`,
        );
        console.log(`transitions: high ${stats.transitions.high}, low ${stats.transitions.low}, progress ${stats.transitions.progress}`);
      }
    });

  dataset
    .command('show <episode>')
    .description('one episode with its steps, subtasks and local progress')
    .option(...dbOption)
    .option('--json', 'print JSON')
    .action(async (id: string, o: { db?: string; json?: boolean }) => {
      const episode = await withStore(o.db, (store) => store.episodes.get(parsePositiveInt(id, 'episode')));
      if (o.json) return printJson(episode);
      console.log(
        `#${episode.id} ${episode.env} ${episode.task}${episode.variation !== null ? ` v${episode.variation}` : ''} ${episode.game ?? ''} [${episode.source}/${episode.agent}] ${episode.status}, score ${episode.score}`,
      );
      console.log(`task: ${episode.taskDescription}`);
      const progress = new Map(episode.progress.map((p) => [p.step, p.text]));
      for (const [k, s] of episode.subtasks.entries()) {
        console.log(`\n${k + 1}. ${s.name}  (steps ${s.firstStep}-${s.lastStep}, ${s.provenance}${s.reviewed ? ', reviewed' : ''})`);
        for (let t = s.firstStep; t <= s.lastStep; t++) {
          console.log(`   ${t}: > ${episode.steps[t]!.action}`);
          console.log(`      progress: ${progress.get(t) ?? '(none)'}`);
        }
      }
      if (!episode.subtasks.length) for (const s of episode.steps) console.log(`   ${s.idx}: > ${s.action}`);
    });

  dataset
    .command('edit <episode> <edit>')
    .description(
      'edit an episode\'s annotations; EDIT is JSON, e.g. \'{"op":"rename","subtask":0,"name":"go to the kitchen"}\' ' +
        '(ops: split, merge, moveBoundary, rename, setProgress, review, setSubtasks)',
    )
    .option('--actor <name>', 'who edits (kept in the audit trail)', `user:${process.env.USER ?? 'unknown'}`)
    .option(...dbOption)
    .action(async (id: string, text: string, o: { actor: string; db?: string }) => {
      let edit: AnnotationEdit;
      try {
        edit = AnnotationEdit.parse(JSON.parse(text));
      } catch (error) {
        throw new UsageError(`EDIT is not a valid edit: ${(error as Error).message}`);
      }
      const after = await withStore(o.db, (store) => store.annotations.edit(parsePositiveInt(id, 'episode'), edit, o.actor));
      printJson(after);
    });

  dataset
    .command('undo <episode>')
    .description("undo the episode's latest annotation edit")
    .option('--actor <name>', 'who undoes (kept in the audit trail)', `user:${process.env.USER ?? 'unknown'}`)
    .option(...dbOption)
    .action(async (id: string, o: { actor: string; db?: string }) => {
      printJson(await withStore(o.db, (store) => store.annotations.undo(parsePositiveInt(id, 'episode'), o.actor)));
    });

  filterOptions(dataset.command('transitions'))
    .description('derive the high, low and progress transition sets and store them for the trainer (or write JSONL)')
    .option('--name <name>', 'name of the transition set', 'default')
    .option(
      '--agent <agent>',
      "whose prompts: stephrl, or a baseline's (react: the flat prompt with the whole history; hrl-history: the subtask's raw history)",
      'stephrl',
    )
    .option('--out <file>', 'also write the transitions as JSONL to this file')
    .option(...dbOption)
    .option('--json', 'print JSON')
    .action(async (o: FilterOptions & { name: string; agent: string; out?: string; db?: string; json?: boolean }) => {
      const filter = parseFilter(o);
      const agent = parseAgent(o.agent);
      const derive = agentTransitions(agent);
      const result = await withStore(o.db, async (store) => {
        const started = performance.now();
        const stored = await materializeTransitions(store.db, o.name, filter, { name: agent, derive });
        if (o.out) {
          const episodes = await loadTransitionEpisodes(store.db, filter);
          const lines = episodes.flatMap(derive).map((t) => JSON.stringify(t));
          fs.writeFileSync(o.out, lines.join('\n') + (lines.length ? '\n' : ''));
        }
        return { ...stored, seconds: (performance.now() - started) / 1000 };
      });
      if (o.json) printJson(result);
      else {
        const c = result.counts;
        console.log(
          `transition set ${result.setId} '${o.name}': high ${c.high}, low ${c.low}, progress ${c.progress} from ${plural(c.episodes, 'episode')} (${c.unannotated} left out: not annotated)`,
        );
      }
    });

  filterOptions(dataset.command('export'))
    .description(
      'export episodes: jsonl (ours, exact round trip), steprl-raw (trajectory objects as the reference code writes them, one file each; annotated episodes only), eto, ' +
        "or training samples for other trainers (TRL, LLaMA-Factory, axolotl) as sharegpt or openai-chat JSON lines: the --agent's own prompts, one sample per decision (a conversation per trajectory for react)",
    )
    .requiredOption('--format <format>', EXPORT_FORMATS.join('|'))
    .requiredOption('--out <path>', 'output file, or folder for steprl-raw; - for standard output')
    .option('--agent <agent>', `sharegpt, openai-chat: whose samples (${AGENT_KINDS.join(', ')})`, 'stephrl')
    .option(...dbOption)
    .action(async (o: FilterOptions & { format: string; out: string; agent: string; db?: string }) => {
      const format = parseFormat(o.format, EXPORT_FORMATS);
      const agent = parseAgent(o.agent);
      const count = await withStore(o.db, (store) => exportEpisodes(store, parseFilter(o), format, o.out, { agent }));
      process.stderr.write(`exported ${plural(count, 'episode')} as ${format} to ${o.out}\n`);
    });

  dataset
    .command('import <files...>')
    .description('import episodes (all or nothing); episodes without annotations are then auto-annotated')
    .requiredOption('--format <format>', IMPORT_FORMATS.join('|'))
    .option(
      '--env <env>',
      'environment of the episodes (steprl-raw step lists need it; its trajectory objects say it; eto reads it from what was played unless given)',
    )
    .option('--task <name>', 'steprl-raw: task name (default: from the game file, or the file name: task3/variation17.json gives task3, 17)')
    .option('--split <split>', "steprl-raw, scienceworld-gold: split to record (gold sequences: default the file's fold)")
    .option('--no-annotate', 'do not auto-annotate imported episodes that have no annotations')
    .option(
      '--again',
      'store a second copy of input this dataset already holds (by default the same files, read with the same options, are imported once)',
    )
    .option(...dbOption)
    .option('--json', 'print JSON')
    .action(
      async (
        files: string[],
        o: { format: string; env?: string; task?: string; split?: string; annotate: boolean; again?: boolean; db?: string; json?: boolean },
      ) => {
        const format = parseFormat(o.format, IMPORT_FORMATS);
        const env: EnvKind | undefined = o.env ? parseEnvKind(o.env) : undefined;
        const result = await withStore(o.db, (store) =>
          importFiles(store, format, files, {
            ...(env ? { env } : {}),
            ...(o.task ? { task: o.task } : {}),
            ...(o.split ? { split: o.split } : {}),
            annotate: o.annotate,
            again: o.again ?? false,
          }),
        );
        if (o.json) printJson(result);
        else if (result.alreadyImportedBy !== null)
          console.log(`already imported (run ${result.alreadyImportedBy}): nothing stored; --again stores a second copy`);
        else console.log(`imported ${plural(result.imported, 'episode')} (run ${result.runId}), auto-annotated ${result.annotated}`);
      },
    );
}
