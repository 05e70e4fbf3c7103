/** `stephrl train bc|rl` and `stephrl train export`: the Python trainer, recorded in the store (resumable). */
import type { Command } from 'commander';
import * as path from 'node:path';
import { TRAIN_KINDS, TRAIN_PRESETS, type TrainPreset } from '../protocol/trainer';
import { adapterTransitionSet, type TrainingResult } from '../train/training';
import { trainModel } from '../services/train';
import { cliRequest, numberOption } from '../services/request';
import { resolveModelPath } from '../util/paths';
import { stderrLogger } from '../util/log';
import { withStore } from './dataset-commands';
import { parseAgent, parsePositiveInt, UsageError } from './episode-args';
import { printJson } from './output';
import { measureExportParity } from '../train/export-parity';
import { headlineLoss } from '../protocol/metrics';

interface TrainCliOptions {
  db?: string;
  model?: string;
  preset: string;
  set?: string;
  agent?: string;
  steps?: string;
  out?: string;
  config?: string;
  initAdapter?: string;
  cpu?: boolean;
  export: boolean;
  acceleratorConfig?: string;
  processes?: string;
  json?: boolean;
  verbose?: boolean;
}

function parsePreset(value: string): TrainPreset {
  if (!(TRAIN_PRESETS as readonly string[]).includes(value))
    throw new UsageError(`--preset must be one of ${TRAIN_PRESETS.join(', ')}, not '${value}'`);
  return value as TrainPreset;
}

function parseConfig(value: string | undefined): Record<string, unknown> {
  if (!value) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new UsageError(`--config must be a JSON object of trainer settings, e.g. '{"bc_lr": 0.0002}'`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new UsageError('--config must be a JSON object');
  return parsed as Record<string, unknown>;
}

function printResult(r: TrainingResult): void {
  const loss = Object.entries(r.finalMetrics)
    .filter(([n]) => n.startsWith('loss'))
    .map(([n, v]) => `${n} ${v.toFixed(4)}`)
    .join(', ');
  console.log(`training run ${r.runId}: ${r.status} at step ${r.steps}${r.totalSteps ? ` of ${r.totalSteps}` : ''}${r.resumed ? ' (resumed)' : ''}`);
  if (loss) console.log(loss);
  if (r.adapterGguf) console.log(`adapter for llama.cpp: ${r.adapterGguf}\n  evaluate it: npx stephrl eval --adapter ${r.adapterGguf} ...`);
  if (r.status === 'interrupted') console.log(`run the same command again to resume from the last checkpoint in ${r.out}`);
  if (r.error && r.status === 'failed') console.error(r.error);
}

export function registerTrainCommands(program: Command): void {
  const train = program.command('train').description('train the STEP-HRL policy: behaviour cloning (bc) or step-level offline RL (rl)');
  for (const kind of TRAIN_KINDS) {
    train
      .command(kind)
      .description(
        kind === 'bc'
          ? 'behaviour cloning on annotated expert transitions'
          : 'offline RL (IQL critics + advantage-weighted actor) on expert and collected transitions',
      )
      .option('--db <path>', 'dataset file (default: $STEPHRL_DB or ./.stephrl/stephrl.db)')
      .option('--model <path>', 'base model: a GGUF file or a Hugging Face model folder (default: the default model)')
      .option('--preset <name>', `hyperparameters: ${TRAIN_PRESETS.join(' or ')}`, 'cpu-small')
      .option('--set <id>', 'transition set (default: the newest for --agent)')
      .option(
        '--agent <agent>',
        'whose transitions: stephrl, or a baseline (react, hrl-history) trained at equal data; derive its set with `stephrl dataset transitions --agent`',
      )
      .option('--steps <n>', 'optimizer steps (default: from the preset epochs)')
      .option('--out <dir>', 'output folder (default: .stephrl/training/<kind>-<model>-set<id>-<preset>); the same folder resumes')
      .option('--config <json>', 'settings over the preset, as JSON (names as in runtime/python/stephrl_train/config.py)')
      .option(
        '--init-adapter <adapter>',
        `start from this adapter: a training folder's adapter${kind === 'rl' ? ' (the BC result)' : ''}, an adapter.gguf, or a shipped adapter's name (alfworld)`,
      )
      .option('--cpu', 'train on the CPU even where a GPU is present')
      .option('--no-export', 'do not write adapter.gguf for llama.cpp')
      .option('--accelerate-config <file>', 'run under `accelerate launch` with this config (e.g. runtime/python/accelerate/deepspeed-zero2.yaml)')
      .option('--processes <n>', 'training processes on this machine (data parallel; with --accelerate-config, its process count)')
      .option('--verbose', 'show the trainer log')
      .option('--json', 'print the result as JSON')
      .action(async (o: TrainCliOptions) => {
        const preset = parsePreset(o.preset);
        const processes = o.processes ? parsePositiveInt(o.processes, '--processes') : undefined;
        const request = cliRequest('train/run', {
          kind,
          preset,
          model: o.model,
          setId: numberOption(o.set),
          agent: o.agent ? parseAgent(o.agent) : undefined,
          steps: numberOption(o.steps),
          out: o.out,
          config: parseConfig(o.config),
          initAdapter: o.initAdapter,
          cpu: Boolean(o.cpu),
        });
        await withStore(o.db, async (store, signal) => {
          const result = await trainModel(
            store,
            request,
            {
              signal,
              log: stderrLogger(o.verbose ? 'debug' : 'info'),
              onEvent: (event) => {
                if (event.event === 'metrics') {
                  const loss = headlineLoss(event.values);
                  process.stderr.write(`step ${event.step}${loss ? `: ${loss.name} ${loss.value.toFixed(4)}` : ''}\n`);
                }
              },
            },
            { exportGguf: o.export, ...(o.acceleratorConfig || processes ? { accelerate: { configFile: o.acceleratorConfig, processes } } : {}) },
          );
          if (o.json) printJson(result);
          else printResult(result);
          if (result.status === 'failed') process.exitCode = 1;
          else if (result.status === 'interrupted') process.exitCode = 130;
        });
      });
  }
  train
    .command('parity')
    .description('check an exported adapter: greedy next tokens of llama.cpp (base + adapter.gguf) vs PyTorch (base + adapter) on stored transitions')
    .requiredOption('--adapter <dir>', 'the trained adapter folder (e.g. .../final/adapter); its adapter.gguf is looked for beside it')
    .option('--gguf <file>', 'the exported adapter GGUF (default: adapter.gguf next to the adapter folder)')
    .option('--model <path>', 'base model GGUF (default: $STEPHRL_MODEL or the model installed by setup)')
    .option(
      '--db <path>',
      "dataset whose transitions supply the texts (the adapter's set where its training folder names this dataset, else the newest STEP-HRL set)",
    )
    .option('--texts <n>', 'transitions to check (state + target each)', '8')
    .option('--json', 'print JSON')
    .action(async (o: { adapter: string; gguf?: string; model?: string; db?: string; texts: string; json?: boolean }) => {
      const adapterDir = path.resolve(o.adapter);
      const gguf = path.resolve(o.gguf ?? path.join(path.dirname(adapterDir), 'adapter.gguf'));
      const count = parsePositiveInt(o.texts, '--texts');
      const texts = await withStore(o.db, async (store) => {
        const setId = await adapterTransitionSet(store, gguf);
        const rows = await store.db.all<{ state: string; target: string }>(
          'SELECT state, target FROM transitions WHERE set_id = ? ORDER BY role, ordinal LIMIT ?',
          [setId, count],
        );
        return rows.map((r) => r.state + r.target);
      });
      if (!texts.length) throw new UsageError('the dataset has no transitions to check with: derive a set first (`stephrl dataset transitions`)');
      const report = await measureExportParity({ model: resolveModelPath(o.model), adapterDir, adapterGguf: gguf, texts });
      if (o.json) return printJson({ ...report, rate: report.agreement / report.positions });
      console.log(
        `${report.agreement}/${report.positions} positions agree (${((100 * report.agreement) / report.positions).toFixed(1)}%; ` +
          `with the adapter merged into the model: ${report.mergedAgreement}); ` +
          `the adapter changed PyTorch's greedy token at ${report.adapterChanged} of them`,
      );
    });
}
