/**
 * `stephrl bench train`: training tokens per second and peak memory for behaviour cloning and offline RL, measured by
 * the trainer's own bench (runtime/python/stephrl_train/bench.py) on a dataset: the one given, or a small one made
 * here from real expert episodes of both environments (rule-annotated).
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { collectDemonstrations } from '../collect/demos';
import { annotateStoredEpisodes } from '../annotate/run';
import { DatasetStore } from '../store/dataset-store';
import { materializeTransitions } from '../store/transitions';
import { pythonSourceDir, resolveAlfworldData, resolvePython } from '../util/paths';
import { TrainerError } from '../train/trainer-process';
import { agentTransitions } from '../agent/agent-transitions';

export interface TrainBenchOptions {
  db?: string;
  model: string;
  steps: number;
  preset: string;
  config: Record<string, unknown>;
  cpu: boolean;
  log: (line: string) => void;
}

/** A small real dataset: a few expert episodes of each environment, rule-annotated, with one transition set. */
export async function makeBenchDataset(file: string, log: (line: string) => void): Promise<void> {
  const store = await DatasetStore.open(file);
  try {
    log('bench train: collecting expert episodes (2 ScienceWorld, 4 ALFWorld)');
    await collectDemonstrations(store, { env: 'scienceworld', split: 'train', limit: 2, alfworldData: resolveAlfworldData() });
    await collectDemonstrations(store, { env: 'alfworld', split: 'valid_train', limit: 4, alfworldData: resolveAlfworldData() });
    await annotateStoredEpisodes(store);
    await materializeTransitions(store.db, 'bench', {}, { name: 'stephrl', derive: agentTransitions('stephrl') });
  } finally {
    await store.close();
  }
}

export async function benchTrain(options: TrainBenchOptions): Promise<Record<string, unknown>> {
  const temp = options.db ? null : fs.mkdtempSync(path.join(os.tmpdir(), 'stephrl-bench-train-'));
  try {
    const db = options.db ?? path.join(temp!, 'bench.db');
    if (!options.db) await makeBenchDataset(db, options.log);
    options.log(`bench train: ${options.steps} steps of bc and of rl on ${path.basename(options.model)}`);
    const args = [
      '-m',
      'stephrl_train',
      'bench',
      '--db',
      db,
      '--model',
      options.model,
      '--preset',
      options.preset,
      '--steps',
      String(options.steps),
      '--config',
      JSON.stringify(options.config),
      ...(options.cpu ? ['--cpu'] : []),
    ];
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(
        resolvePython(),
        args,
        { env: { ...process.env, PYTHONPATH: [pythonSourceDir, process.env.PYTHONPATH].filter(Boolean).join(':') }, maxBuffer: 64 << 20 },
        (error, out, err) =>
          error ? reject(new TrainerError(`the training benchmark failed: ${err.split('\n').slice(-8).join('\n')}`)) : resolve(out),
      );
    });
    const result = JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
    return { ...result, dataset: options.db ?? 'made for the benchmark: 2 ScienceWorld + 4 ALFWorld expert episodes' };
  } finally {
    if (temp) fs.rmSync(temp, { recursive: true, force: true });
  }
}
