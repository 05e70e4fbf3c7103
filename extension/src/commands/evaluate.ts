/**
 * "STEP-HRL: Evaluate Agent": pick an environment, split, agent and episode count, then run the evaluation harness
 * in the runtime with a cancellable progress notification. Every episode lands in the dataset as it runs;
 * cancelling stops the run cleanly and running it again resumes it.
 */
import { randomUUID } from 'node:crypto';
import * as vscode from 'vscode';
import type { RuntimeClient } from '../runtime-client';
import { describeSummary, evaluationRequest, type EvaluationPicks, type ModelSettings } from './evaluate-request';

const SPLITS: Record<EvaluationPicks['env'], string[]> = {
  scienceworld: ['test', 'dev', 'train'],
  alfworld: ['valid_seen', 'valid_unseen', 'valid_train', 'train'],
};

function modelSettings(): ModelSettings {
  const c = vscode.workspace.getConfiguration('stephrl');
  return {
    modelPath: c.get<string>('modelPath', ''),
    adapterPath: c.get<string>('adapterPath', ''),
    modelEndpoint: c.get<string>('modelEndpoint', ''),
    gpu: c.get<ModelSettings['gpu']>('gpu', 'auto'),
    threads: c.get<number>('threads', 0),
    parallelEnvironments: c.get<number>('parallelEnvironments', 1),
    databasePath: c.get<string>('databasePath', ''),
  };
}

async function pickEvaluation(): Promise<EvaluationPicks | undefined> {
  const env = await vscode.window.showQuickPick(
    [
      { label: 'scienceworld', description: 'ScienceWorld: science experiments, scored 0-100' },
      { label: 'alfworld', description: 'ALFWorld: household tasks, success rate' },
    ],
    { title: 'Evaluate: environment', ignoreFocusOut: true },
  );
  if (!env) return undefined;
  const kind = env.label as EvaluationPicks['env'];
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
  const limit = await vscode.window.showInputBox({
    title: 'Evaluate: episodes',
    prompt: 'How many episodes from the start of the split (empty: all of them)',
    value: '5',
    ignoreFocusOut: true,
    validateInput: (v) => (v.trim() === '' || /^[1-9]\d*$/.test(v.trim()) ? undefined : 'a positive whole number, or empty for the whole split'),
  });
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

export async function evaluateCommand(runtime: RuntimeClient, log: vscode.LogOutputChannel): Promise<void> {
  if (!vscode.workspace.isTrusted) {
    void vscode.window.showWarningMessage('STEP-HRL runs models and environments only in a trusted workspace.');
    return;
  }
  const picks = await pickEvaluation();
  if (!picks) return;
  const token = randomUUID();
  const request = evaluationRequest(picks, modelSettings(), token);
  log.info(`evaluate: ${JSON.stringify(request)}`);
  await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Evaluating ${picks.agent} on ${picks.env} ${picks.split}`, cancellable: true },
    async (progress, cancel) => {
      let reported = 0;
      const listener = runtime.onEvaluationProgress((p) => {
        if (p.token !== token || p.total === 0) return;
        const share = (100 * p.done) / p.total;
        const last = p.label ? `; last: ${p.label}${p.error ? ' failed' : p.score !== undefined ? ` score ${p.score}` : ''}` : '';
        progress.report({ increment: share - reported, message: `${p.done}/${p.total} episodes${p.failed ? `, ${p.failed} failed` : ''}${last}` });
        reported = share;
      });
      try {
        const summary = await runtime.request('agent/evaluate', request, cancel);
        const message = describeSummary(summary);
        log.info(`evaluate: ${message}`);
        if (cancel.isCancellationRequested) void vscode.window.showInformationMessage(`Evaluation stopped. ${message}`);
        else if (summary.failures.length) {
          for (const failure of summary.failures) log.error(failure);
          void vscode.window.showWarningMessage(`${message}. ${summary.failures.length} episodes failed (see the log).`, 'Show Logs').then((a) => a && log.show());
        } else void vscode.window.showInformationMessage(message);
      } catch (error) {
        const message = (error as Error).message;
        log.error(`evaluate failed: ${message}`);
        if (!cancel.isCancellationRequested) {
          void vscode.window.showErrorMessage(`Evaluation failed: ${message}`, 'Show Logs').then((a) => a && log.show());
        }
      } finally {
        listener.dispose();
      }
    },
  );
}
