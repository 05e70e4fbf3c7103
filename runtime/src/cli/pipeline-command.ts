/** `stephrl pipeline`: the whole STEP-HRL recipe in one resumable command (the README's main job runs it). */
import type { Command } from 'commander';
import * as path from 'node:path';
import { EnvKind } from '../protocol/environment';
import { MAX_EXPERT_SEEDS, TRAIN_PRESETS, type TrainPreset } from '../protocol/trainer';
import { PIPELINE_SLICES, pipelineTable, runPipeline, PipelineCancelled, defaultPipelineOut } from '../pipeline/pipeline';
import { resolveAlfworldData, resolveModelPath, stateDir } from '../util/paths';
import { stderrLogger } from '../util/log';
import { withStore } from './dataset-commands';
import { expertSeeds } from '../collect/demos';
import { parsePositiveInt, UsageError, parseParallel } from './episode-args';
import { parseGpu } from './model-options';
import { printJson } from './output';

interface PipelineCliOptions {
  env?: string;
  recipe?: string;
  evalPerTask?: string;
  baselines?: boolean;
  tasks?: string;
  expertSeeds?: string;
  preset: string;
  slice: string;
  model?: string;
  db?: string;
  out?: string;
  data?: string;
  parallel: string;
  gpu: string;
  threads?: string;
  bcSteps?: string;
  rlSteps?: string;
  config?: string;
  json?: boolean;
}

export function registerPipelineCommand(program: Command): void {
  program
    .command('pipeline')
    .description(
      'demonstrations, annotation, behaviour cloning, evaluation, rollouts, offline RL, evaluation; compared with the base model (resumable: run it again to continue)',
    )
    .option('--env <env>', "scienceworld, alfworld or both (default: both; the recipe's with --recipe)")
    .option(
      '--recipe <name>',
      'alfworld: the ALFWorld recipe (all valid_train demonstrations, validated BC, rollouts, offline RL, valid_seen and valid_unseen, greedy and constrained); scienceworld: the ScienceWorld slice (10 train and 2 test variations of 8 tasks); README',
    )
    .option('--baselines', 'also train the flat (ReAct) and history-HRL baselines at equal data and evaluate them on the same games')
    .option(
      '--tasks <list>',
      'only these tasks (ScienceWorld names or ALFWorld task types), comma-separated: demonstrations, rollouts and evaluations',
    )
    .option('--expert-seeds <n>', `ALFWorld: expert trajectories per training game, from expert seeds 0..n-1 (at most ${MAX_EXPERT_SEEDS})`, '1')
    .option('--preset <name>', `trainer hyperparameters: ${TRAIN_PRESETS.join(' or ')}`, 'cpu-small')
    .option('--slice <size>', 'quick (minutes on a CPU) or full (the reference protocol)', 'quick')
    .option('--eval-per-task <n>', "evaluation episodes per task type (default: the slice's or the recipe's)")
    .option('--model <path>', 'base model GGUF (default: $STEPHRL_MODEL or the model installed by setup)')
    .option('--db <path>', 'dataset file (default: $STEPHRL_DB or ./.stephrl/stephrl.db)')
    .option('--out <dir>', 'checkpoints folder (default: .stephrl/pipeline/<model>-<preset>-<slice>)')
    .option('--data <dir>', 'ALFWorld data directory')
    .option('--parallel <n>', 'episodes at once', '1')
    .option('--gpu <mode>', 'inference: auto, cpu, cuda, vulkan or metal; cpu also keeps training on the CPU', 'auto')
    .option('--threads <n>', 'CPU threads for inference')
    .option('--bc-steps <n>', 'behaviour cloning steps (default: the slice, else the preset)')
    .option('--rl-steps <n>', 'offline RL steps (default: the slice, else the preset)')
    .option('--config <json>', 'trainer settings over the preset')
    .option('--json', 'print the result as JSON')
    .action(async (o: PipelineCliOptions) => {
      if (o.recipe !== undefined && o.recipe !== 'alfworld' && o.recipe !== 'scienceworld')
        throw new UsageError(`--recipe must be alfworld or scienceworld, not '${o.recipe}'`);
      const envName = o.env ?? (o.recipe ? o.recipe : 'both');
      const envs: EnvKind[] = envName === 'both' ? [...EnvKind.options] : EnvKind.safeParse(envName).success ? [envName as EnvKind] : [];
      if (!envs.length) throw new UsageError(`--env must be scienceworld, alfworld or both, not '${envName}'`);
      if (o.recipe && (envs.length !== 1 || envs[0] !== o.recipe)) throw new UsageError(`--recipe ${o.recipe} runs on ${o.recipe} only`);
      if (!(TRAIN_PRESETS as readonly string[]).includes(o.preset)) throw new UsageError(`--preset must be one of ${TRAIN_PRESETS.join(', ')}`);
      if (o.slice !== 'quick' && o.slice !== 'full') throw new UsageError(`--slice must be quick or full, not '${o.slice}'`);
      const tasks = o.tasks
        ?.split(',')
        .map((t) => t.trim())
        .filter(Boolean);
      if (o.tasks !== undefined && !tasks?.length) throw new UsageError('--tasks needs at least one task name');
      if (tasks && envs.length !== 1) throw new UsageError("--tasks names one environment's tasks: give --env scienceworld or --env alfworld");
      const seeds = parseExpertSeeds(o.expertSeeds, envs);
      const sliceName = (o.recipe ?? o.slice) as keyof typeof PIPELINE_SLICES;
      const modelPath = resolveModelPath(o.model);
      const gpu = parseGpu(o.gpu);
      const out = path.resolve(o.out ?? defaultPipelineOut(stateDir, modelPath, o.preset, sliceName, tasks));
      let trainerConfig: Record<string, unknown> = {};
      if (o.config) {
        try {
          trainerConfig = JSON.parse(o.config) as Record<string, unknown>;
        } catch {
          throw new UsageError('--config must be a JSON object of trainer settings');
        }
      }
      const log = stderrLogger('info');
      const started = Date.now();
      await withStore(o.db, async (store, signal) => {
        try {
          const result = await runPipeline(store, {
            envs,
            preset: o.preset as TrainPreset,
            slice: PIPELINE_SLICES[sliceName],
            ...(o.evalPerTask ? { evalPerTask: parsePositiveInt(o.evalPerTask, '--eval-per-task') } : {}),
            ...(o.baselines ? { baselines: true } : {}),
            ...(tasks ? { tasks } : {}),
            expertSeeds: seeds,
            modelPath,
            model: {
              gpu: gpu === false ? 'cpu' : gpu,
              prefixReuse: true,
              adapterMode: 'merged',
              ...(o.threads ? { threads: parsePositiveInt(o.threads, '--threads') } : {}),
            },
            out,
            alfworldData: resolveAlfworldData(o.data),
            parallel: parseParallel(o.parallel),
            trainerConfig,
            trainSteps: {
              ...(o.bcSteps ? { bc: parsePositiveInt(o.bcSteps, '--bc-steps') } : {}),
              ...(o.rlSteps ? { rl: parsePositiveInt(o.rlSteps, '--rl-steps') } : {}),
            },
            log,
            signal,
          });
          if (o.json) return printJson(result);
          console.log(`\n${pipelineTable(result)}\n`);
          console.log(`score: ScienceWorld mean score (0-100); success: share of episodes won; tokens: prompt + completion per episode.`);
          console.log(
            `done in ${((Date.now() - started) / 60000).toFixed(1)} min. Adapters: ${result.bc.adapterGguf} (BC), ${result.rl.adapterGguf} (BC + offline RL).`,
          );
          console.log(`See it in VS Code: with the STEP-HRL Studio extension (README, "VS Code extension"), open this folder; the STEP-HRL`);
          console.log(`view's Runs list holds every stage${o.db ? ` (set "stephrl.databasePath" to ${store.file})` : ''}.`);
        } catch (error) {
          if (error instanceof PipelineCancelled) {
            process.stderr.write(`stephrl: ${error.message}\n`);
            process.exitCode = 130;
            return;
          }
          throw error;
        }
      });
    });
}

/** --expert-seeds: 1 to MAX_EXPERT_SEEDS, and 1 wherever an environment's expert has no seed (refused before anything runs). */
function parseExpertSeeds(value: string | undefined, envs: EnvKind[]): number {
  const seeds = parsePositiveInt(value ?? '1', '--expert-seeds');
  if (seeds > MAX_EXPERT_SEEDS) throw new UsageError(`--expert-seeds is at most ${MAX_EXPERT_SEEDS}, not ${seeds}`);
  for (const env of envs) expertSeeds(env, seeds);
  return seeds;
}
