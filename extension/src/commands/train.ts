/**
 * "Train: Behaviour Cloning", "Train: Offline RL" and "Train: Full Pipeline": the Python trainer and the pipeline,
 * run by the runtime behind a cancellable progress notification. Cancel stops after the current step with a
 * checkpoint; running the same command again resumes. Metrics reach the store as they come (the Runs view and the
 * curves read them there).
 */
import * as vscode from 'vscode';
import type { RuntimeClient } from '../runtime-client';
import { readSettings, trusted } from '../settings';
import { reportJob, runJob } from './job';

type Preset = 'cpu-small' | 'paper';

async function pickPreset(title: string): Promise<Preset | undefined> {
  const pick = await vscode.window.showQuickPick(
    [
      { label: 'cpu-small', description: 'small batches and LoRA rank 8: finishes on a laptop CPU with a small model' },
      { label: 'paper', description: 'the reference hyperparameters (LoRA r 16, batch 128, bf16): for a GPU' },
    ],
    { title: `${title}: hyperparameters`, ignoreFocusOut: true },
  );
  return pick?.label as Preset | undefined;
}

async function pickSteps(title: string): Promise<string | undefined> {
  return vscode.window.showInputBox({
    title: `${title}: optimizer steps`,
    prompt: "Optimizer steps (empty: the preset's epochs over the data)",
    ignoreFocusOut: true,
    validateInput: (v) => (v.trim() === '' || /^[1-9]\d*$/.test(v.trim()) ? undefined : 'a positive whole number, or empty'),
  });
}

/** Completed behaviour-cloning runs, newest first, for offline RL to start from. */
async function pickBcAdapter(runtime: RuntimeClient, db: string): Promise<string | null | undefined> {
  const { runs } = await runtime.request('dataset/listRuns', { kind: 'train', ...(db ? { db } : {}) });
  const { shipped } = await runtime.request('models/list', { ...(db ? { db } : {}), extra: [] });
  const bc = runs.filter((r) => r.status === 'complete' && r.config.kind === 'bc' && typeof r.config.out === 'string');
  const items = [
    ...bc.map((r) => ({
      label: `$(check) run ${r.id}`,
      description: r.name,
      detail: `${r.config.out}/final/adapter`,
      adapter: `${r.config.out}/final/adapter` as string | null,
    })),
    // A shipped adapter is a GGUF file; the trainer reads it back into a peft adapter to start from.
    ...shipped.map((a) => ({ label: `$(package) ${a.name}`, description: `shipped (${a.env})`, detail: a.title, adapter: a.name })),
    { label: 'Start from the base model', description: 'no behaviour cloning first (not the STEP-HRL recipe)', detail: '', adapter: null },
  ];
  const pick = await vscode.window.showQuickPick(items, { title: 'Offline RL: start from', ignoreFocusOut: true });
  return pick ? pick.adapter : undefined;
}

export async function trainCommand(runtime: RuntimeClient, log: vscode.LogOutputChannel, kind: 'bc' | 'rl'): Promise<void> {
  if (!trusted('runs the trainer')) return;
  const title = kind === 'bc' ? 'Behaviour cloning' : 'Offline RL';
  const settings = readSettings();
  const db = settings.databasePath;
  let initAdapter: string | null | undefined = null;
  if (kind === 'rl') {
    initAdapter = await pickBcAdapter(runtime, db);
    if (initAdapter === undefined) return;
  }
  const preset = await pickPreset(title);
  if (!preset) return;
  const steps = await pickSteps(title);
  if (steps === undefined) return;
  const { result, cancelled } = await runJob(
    `${title} (${preset})`,
    runtime.onJobProgress,
    (token, cancel) =>
      runtime.request(
        'train/run',
        {
          kind,
          preset,
          token,
          cpu: settings.gpu === 'cpu',
          ...(settings.modelPath.trim() ? { model: settings.modelPath.trim() } : {}),
          ...(steps.trim() ? { steps: Number(steps.trim()) } : {}),
          ...(initAdapter ? { initAdapter } : {}),
          ...(db ? { db } : {}),
        },
        cancel,
      ),
    log,
  );
  if (!result) return;
  if (result.status === 'failed') {
    log.error(`${title} failed: ${result.error}`);
    void vscode.window.showErrorMessage(`${title} failed: ${result.error?.split('\n')[0]}`, 'Show Logs').then((a) => a && log.show());
    return;
  }
  const loss = Object.entries(result.finalMetrics)
    .filter(([n]) => n.startsWith('loss'))
    .slice(0, 3)
    .map(([n, v]) => `${n} ${v.toFixed(3)}`)
    .join(', ');
  const message =
    result.status === 'complete'
      ? `${title}: run ${result.runId} complete after ${result.steps} steps${loss ? ` (${loss})` : ''}; adapter ${result.adapterGguf}`
      : `${title}: run ${result.runId} stopped at step ${result.steps}; run it again to resume`;
  reportJob(message, [], cancelled || result.status === 'interrupted', log);
}

export async function pipelineCommand(runtime: RuntimeClient, log: vscode.LogOutputChannel): Promise<void> {
  if (!trusted('runs the trainer')) return;
  const envs = await vscode.window.showQuickPick(
    [
      { label: 'both', envs: ['scienceworld', 'alfworld'] as const },
      { label: 'scienceworld', envs: ['scienceworld'] as const },
      { label: 'alfworld', envs: ['alfworld'] as const },
    ],
    { title: 'Full pipeline: environments', ignoreFocusOut: true },
  );
  if (!envs) return;
  const preset = await pickPreset('Full pipeline');
  if (!preset) return;
  const slice = await vscode.window.showQuickPick(
    [
      { label: 'quick', description: 'small slices: minutes on a CPU' },
      { label: 'full', description: 'the reference protocol sizes: for a GPU, hours' },
      { label: 'alfworld', description: 'the ALFWorld recipe (ALFWorld only): about 3 hours on 2 CPU cores' },
      { label: 'scienceworld', description: 'the ScienceWorld slice (ScienceWorld only): 8 tasks, about 2 hours on 2 CPU cores' },
    ],
    { title: 'Full pipeline: size', ignoreFocusOut: true },
  );
  if (!slice) return;
  const recipe = slice.label === 'alfworld' || slice.label === 'scienceworld' ? slice.label : undefined;
  if (recipe && (envs.envs.length !== 1 || envs.envs[0] !== recipe)) {
    void vscode.window.showErrorMessage(`The ${recipe} recipe runs on ${recipe} only: choose the "${recipe}" environment.`);
    return;
  }
  const settings = readSettings();
  const db = settings.databasePath;
  const { result, cancelled } = await runJob(
    `STEP-HRL pipeline (${envs.label}, ${preset}, ${slice.label})`,
    runtime.onJobProgress,
    (token, cancel) =>
      runtime.request(
        'train/pipeline',
        {
          envs: [...envs.envs],
          preset,
          slice: slice.label as 'quick' | 'full' | 'alfworld' | 'scienceworld',
          gpu: settings.gpu,
          token,
          parallel: Math.max(1, settings.parallelEnvironments),
          ...(settings.threads > 0 ? { threads: settings.threads } : {}),
          ...(settings.modelPath.trim() ? { model: settings.modelPath.trim() } : {}),
          ...(db ? { db } : {}),
        },
        cancel,
      ),
    log,
  );
  if (!result) return;
  for (const r of result.rows) {
    const pct = (x: number) => (x * 100).toFixed(0);
    log.info(
      `${r.label} on ${r.env} ${r.split}: score ${r.meanScore.toFixed(1)}, success ${pct(r.successRate)}% (95% CI ${pct(r.successInterval[0])}-${pct(r.successInterval[1])}%), ` +
        `${r.episodes} episodes, invalid actions ${pct(r.invalidActionRate)}%, ${Math.round(r.promptTokensPerEpisode + r.completionTokensPerEpisode)} tokens/episode`,
    );
  }
  reportJob(`Pipeline done in ${(result.seconds / 60).toFixed(1)} min: results in the log and the Runs view`, [], cancelled, log);
}
