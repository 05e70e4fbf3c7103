/** "Collect Expert Demonstrations" and "Annotate Demonstrations": the dataset jobs, run in the runtime. */
import * as vscode from 'vscode';
import type { RuntimeClient } from '../runtime-client';
import { SPLITS, pickCount, pickEnvironment } from './evaluate';
import { readSettings, trusted } from '../settings';
import { evaluationRequest } from './evaluate-request';
import { reportJob, runJob } from './job';

const TRAIN_SPLITS = {
  scienceworld: ['train', ...SPLITS.scienceworld.filter((s) => s !== 'train')],
  alfworld: ['valid_train', 'train', 'valid_seen', 'valid_unseen'],
};

export async function collectDemonstrationsCommand(runtime: RuntimeClient, log: vscode.LogOutputChannel): Promise<void> {
  if (!trusted()) return;
  const env = await pickEnvironment('Collect demonstrations');
  if (!env) return;
  const split = await vscode.window.showQuickPick(TRAIN_SPLITS[env], { title: 'Collect demonstrations: split', ignoreFocusOut: true });
  if (!split) return;
  const limit = await pickCount('Collect demonstrations', '');
  if (limit === undefined) return;
  const { parallelEnvironments: parallel, scienceworldSimplifications: simplifications, databasePath: db } = readSettings();
  const { result, cancelled } = await runJob(
    `Collecting ${env} ${split} expert demonstrations`,
    runtime.onJobProgress,
    (token, cancel) =>
      runtime.request(
        'dataset/collectDemonstrations',
        {
          env,
          split,
          parallel,
          token,
          ...(limit.trim() ? { limit: Number(limit.trim()) } : {}),
          ...(db ? { db } : {}),
          ...(env === 'scienceworld' && simplifications ? { simplifications } : {}),
        },
        cancel,
      ),
    log,
  );
  if (result) {
    const message = `${result.stored} demonstrations stored, ${result.skipped} already there, ${result.won}/${result.stored} won, ${result.steps} steps`;
    reportJob(message, result.failures, cancelled || result.interrupted, log);
  }
}

export async function annotateCommand(runtime: RuntimeClient, log: vscode.LogOutputChannel): Promise<void> {
  if (!trusted()) return;
  const env = await pickEnvironment('Annotate');
  if (!env) return;
  const annotator = await vscode.window.showQuickPick(
    [
      { label: 'rule', description: 'deterministic rule annotators: subtasks and local progress, no model, seconds' },
      { label: 'model', description: "the model names the rule segments and writes every step's progress (slower)" },
    ],
    { title: 'Annotate: annotator', ignoreFocusOut: true },
  );
  if (!annotator) return;
  const db = readSettings().databasePath;
  // The model annotator uses the same model settings as evaluation.
  const { model } = evaluationRequest({ env, split: '', agent: 'stephrl', constrained: false }, readSettings(), '');
  const { result, cancelled } = await runJob(
    `Annotating ${env} demonstrations (${annotator.label})`,
    runtime.onJobProgress,
    (token, cancel) =>
      runtime.request(
        'dataset/annotate',
        { filter: { env }, annotator: annotator.label as 'rule' | 'model', model, token, ...(db ? { db } : {}) },
        cancel,
      ),
    log,
  );
  if (result) {
    const message = `${result.written} episodes annotated, ${result.keptExisting} already annotated, ${result.keptReviewed} kept as reviewed or edited`;
    reportJob(message, result.failures, cancelled, log);
  }
}
