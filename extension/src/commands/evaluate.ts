/**
 * "STEP-HRL: Evaluate Agent": pick an environment, split, agent and episode count, then run the evaluation harness
 * in the runtime with a cancellable progress notification. Every episode lands in the dataset as it runs;
 * cancelling stops the run cleanly and running it again resumes it.
 */
import * as vscode from 'vscode';
import type { RuntimeClient } from '../runtime-client';
import { describeSummary, evaluationRequest, type EvaluationPicks } from './evaluate-request';
import { reportJob, runJob } from './job';
import { readSettings } from '../settings';

export const SPLITS: Record<EvaluationPicks['env'], string[]> = {
  scienceworld: ['test', 'dev', 'train'],
  alfworld: ['valid_seen', 'valid_unseen', 'valid_train', 'train'],
};

export async function pickEnvironment(title: string): Promise<EvaluationPicks['env'] | undefined> {
  const env = await vscode.window.showQuickPick(
    [
      { label: 'scienceworld', description: 'ScienceWorld: science experiments, scored 0-100' },
      { label: 'alfworld', description: 'ALFWorld: household tasks, success rate' },
    ],
    { title: `${title}: environment`, ignoreFocusOut: true },
  );
  return env?.label as EvaluationPicks['env'] | undefined;
}

/** How many episodes from the start of the split: a number, '' for all of them, or undefined when dismissed. */
export function pickCount(title: string, value: string): Thenable<string | undefined> {
  return vscode.window.showInputBox({
    title: `${title}: episodes`,
    prompt: 'How many episodes from the start of the split (empty: all of them)',
    value,
    ignoreFocusOut: true,
    validateInput: (v) => (v.trim() === '' || /^[1-9]\d*$/.test(v.trim()) ? undefined : 'a positive whole number, or empty for the whole split'),
  });
}

async function pickEvaluation(): Promise<EvaluationPicks | undefined> {
  const kind = await pickEnvironment('Evaluate');
  if (!kind) return undefined;
  const split = await vscode.window.showQuickPick(SPLITS[kind], { title: 'Evaluate: split', ignoreFocusOut: true });
  if (!split) return undefined;
  const agent = await vscode.window.showQuickPick(
    [
      { label: 'stephrl', description: 'STEP-HRL: subtask, action and local progress; one step per prompt' },
      { label: 'react', description: 'flat baseline: the whole history in every prompt' },
      { label: 'hrl-history', description: 'hierarchical baseline: the history inside the subtask' },
    ],
    { title: 'Evaluate: agent', ignoreFocusOut: true },
  );
  if (!agent) return undefined;
  const limit = await pickCount('Evaluate', '5');
  if (limit === undefined) return undefined;
  const decoding = await vscode.window.showQuickPick(
    [
      { label: 'free', description: 'the model writes any text; unreadable actions count as invalid' },
      { label: 'constrained', description: "only the environment's valid commands (grammar)" },
    ],
    { title: 'Evaluate: decoding', ignoreFocusOut: true },
  );
  if (!decoding) return undefined;
  return {
    env: kind,
    split,
    agent: agent.label as EvaluationPicks['agent'],
    constrained: decoding.label === 'constrained',
    ...(limit.trim() ? { limit: Number(limit.trim()) } : {}),
  };
}

/** `with`: a trained adapter (and the base model it was trained on) chosen in the Models view, over the settings. */
export async function evaluateCommand(
  runtime: RuntimeClient,
  log: vscode.LogOutputChannel,
  withModel: { adapter?: string; model?: string } = {},
): Promise<void> {
  if (!vscode.workspace.isTrusted) {
    void vscode.window.showWarningMessage('STEP-HRL runs models and environments only in a trusted workspace.');
    return;
  }
  const picks = await pickEvaluation();
  if (!picks) return;
  const { result, cancelled } = await runJob(
    `Evaluating ${picks.agent}${withModel.adapter ? ' with the adapter' : ''} on ${picks.env} ${picks.split}`,
    runtime.onEvaluationProgress,
    (token, cancel) => {
      const settings = readSettings();
      const request = evaluationRequest(
        picks,
        {
          ...settings,
          ...(withModel.adapter ? { adapterPath: withModel.adapter, modelEndpoint: '' } : {}),
          ...(withModel.model ? { modelPath: withModel.model } : {}),
        },
        token,
      );
      log.info(`evaluate: ${JSON.stringify(request)}`);
      return runtime.request('agent/evaluate', request, cancel);
    },
    log,
  );
  if (result) reportJob(describeSummary(result), result.failures, cancelled, log);
}
