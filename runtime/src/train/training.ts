/**
 * A training run: one `train` run in the store per output folder. The trainer's metrics land in the metrics table as
 * they arrive (live curves), its checkpoints in the checkpoints table. Running the same training again resumes it
 * from its last checkpoint (same run, metrics past that checkpoint replaced); a finished one is returned as it is.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DatasetStore } from '../store/dataset-store';
import type { RunRecord } from '../store/runs';
import type { TrainerEvent, TrainingResult, TrainKind, TrainPreset } from '../protocol/trainer';
import { stateDir } from '../util/paths';
import type { AgentKind } from '../agent/types';
import { silentLogger, type Logger } from '../util/log';
import { runTrainerProcess, TrainerError, type TrainerLaunch } from './trainer-process';
import { resolveCheckpoint, type ResolvedCheckpoint } from './checkpoint-path';

export interface TrainingOptions extends Omit<TrainerLaunch, 'db' | 'out' | 'log' | 'signal'> {
  /** Whose transitions: the default set is the newest derived for this agent; a given set must be its. */
  agent?: AgentKind;
  out?: string;
  log?: Logger;
  signal?: AbortSignal;
  onEvent?: (event: TrainerEvent, runId: number) => void;
}

export type { TrainingResult };

/** The agent a transition set was derived for (sets without one are STEP-HRL's). */
export async function transitionSetAgent(store: DatasetStore, setId: number): Promise<AgentKind> {
  const row = await store.db.get<{ selection: string }>('SELECT selection FROM transition_sets WHERE id = ?', [setId]);
  if (!row) throw new TrainerError(`${store.file} has no transition set ${setId}`);
  return selectionAgent(row.selection);
}

const selectionAgent = (selection: string): AgentKind => (JSON.parse(selection) as { agent?: AgentKind }).agent ?? 'stephrl';

/** The newest transition set derived for an agent. */
export async function latestTransitionSet(store: DatasetStore, agent: AgentKind = 'stephrl'): Promise<number> {
  const rows = await store.db.all<{ id: number; selection: string }>('SELECT id, selection FROM transition_sets ORDER BY id DESC');
  const found = rows.find((r) => selectionAgent(r.selection) === agent);
  if (found) return found.id;
  const derive = `\`stephrl dataset transitions${agent === 'stephrl' ? '' : ` --agent ${agent}`}\``;
  throw new TrainerError(
    `${store.file} has no transition set${agent === 'stephrl' ? '' : ` for the ${agent} agent`}: run \`stephrl annotate\` and ${derive} first`,
  );
}

/**
 * The transition set an adapter's prompts belong to: the one it was trained on where its training folder names this
 * dataset, else the newest STEP-HRL set.
 */
export async function adapterTransitionSet(store: DatasetStore, adapter: string | undefined): Promise<number> {
  let trainedOn: ResolvedCheckpoint['trainedOn'];
  try {
    trainedOn = adapter ? resolveCheckpoint(adapter).trainedOn : null;
  } catch {
    trainedOn = null; // a name that is not a checkpoint is reported by whoever opens it
  }
  if (trainedOn && path.resolve(trainedOn.db) === path.resolve(store.file)) return trainedOn.setId;
  return latestTransitionSet(store);
}

export function defaultOutDir(kind: TrainKind, preset: TrainPreset, setId: number, model: string): string {
  const base = path
    .basename(model)
    .replace(/\.gguf$/i, '')
    .replace(/[^\w.-]+/g, '_');
  return path.join(stateDir, 'training', `${kind}-${base}-set${setId}-${preset}`);
}

async function previousRun(store: DatasetStore, out: string): Promise<RunRecord | undefined> {
  const runs = await store.runs.list('train');
  return runs.reverse().find((r) => r.config.out === out);
}

export async function runTraining(store: DatasetStore, options: TrainingOptions): Promise<TrainingResult> {
  const log = options.log ?? silentLogger;
  const setId = options.setId ?? (await latestTransitionSet(store, options.agent));
  const agent = await transitionSetAgent(store, setId);
  if (options.agent && options.agent !== agent)
    throw new TrainerError(`transition set ${setId} holds the ${agent} agent's transitions, not the ${options.agent} agent's`);
  const model = path.resolve(options.model);
  const out = path.resolve(options.out ?? defaultOutDir(options.kind, options.preset, setId, model));
  const finalDir = path.join(out, 'final');
  const previous = await previousRun(store, out);

  let extended: Record<string, unknown> | undefined;
  if (previous?.status === 'complete' && fs.existsSync(path.join(finalDir, 'adapter'))) {
    const trained = await lastTrainedStep(store, previous.id);
    if (options.steps === undefined || options.steps <= trained) {
      log('info', `training run ${previous.id} in ${out} is already complete (${trained} steps)`);
      return resultOf(store, previous.id, 'complete', out, false, null);
    }
    log('info', `training run ${previous.id} in ${out} is complete at ${trained} steps: training it further, to ${options.steps}`);
    const kept = await archiveFinal(store, previous.id, finalDir, trained);
    log('info', `its ${trained}-step adapter and the evaluations of it stay in ${kept}`);
    const stages = (previous.config.stages as number[] | undefined) ?? [trained];
    extended = { ...previous.config, steps: options.steps, stages: [...stages, options.steps] };
  }
  if (previous?.status === 'running') {
    throw new TrainerError(`training run ${previous.id} is already writing to ${out} (process ${previous.pid} on ${previous.host})`);
  }
  const config = {
    kind: options.kind,
    preset: options.preset,
    model,
    setId,
    agent,
    out,
    steps: options.steps ?? null,
    overrides: options.config ?? {},
    initAdapter: options.initAdapter ?? null,
    accelerate: options.accelerate ?? null,
  };
  let runId: number;
  if (previous) {
    runId = previous.id;
    extended ??= retargeted(previous.config, options.steps);
    await store.runs.reopen(runId, extended);
    log('info', `resuming training run ${runId} from ${out}`);
  } else {
    const whose = agent === 'stephrl' ? '' : ` (${agent} agent)`;
    runId = await store.runs.start(
      'train',
      `${options.kind.toUpperCase()} ${path.basename(model)} on set ${setId}${whose} (${options.preset})`,
      config,
    );
  }

  let errorMessage: string | null = null;
  let totalSteps: number | null = null;
  let finished = false;
  let stopped = false;
  const onEvent = async (event: TrainerEvent) => {
    switch (event.event) {
      case 'start':
        totalSteps = event.total_steps;
        // The checkpoint's own step is logged again too when the trainer replays it (it may never have been stored).
        if (event.start_step > 0 || previous)
          await store.runs.deleteMetricsFrom(runId, event.replays_metrics ? event.start_step : event.start_step + 1);
        if (previous) await recordAppliedSettings(store, runId, options.config ?? {}, event.config);
        log(
          'info',
          `training ${event.kind} on ${event.device} (${event.processes} process${event.processes > 1 ? 'es' : ''}): ` +
            `${Object.entries(event.examples)
              .map(([r, n]) => `${n} ${r}`)
              .join(', ')} transitions, steps ${event.start_step}..${event.total_steps}, ` +
            `${event.trainable_parameters} trainable of ${event.parameters} parameters`,
        );
        break;
      case 'metrics': {
        const points = Object.entries(event.values).flatMap(([name, value]) => (value === null ? [] : [{ step: event.step, name, value }]));
        const diverged = Object.entries(event.values)
          .filter(([, v]) => v === null)
          .map(([n]) => n);
        if (diverged.length) log('warn', `step ${event.step}: ${diverged.join(', ')} not finite`);
        await store.runs.addMetrics(runId, points);
        break;
      }
      case 'checkpoint':
      case 'stopped':
        await store.runs.addCheckpoint(runId, { step: event.step, kind: 'checkpoint', path: event.path });
        stopped ||= event.event === 'stopped';
        break;
      case 'done': {
        finished = true;
        // The final folder holds the last step's state; its adapter is the best validated step's where validation
        // ran, so the adapter is recorded at that step with that step's figures (evaluations land there too).
        await store.runs.addCheckpoint(runId, { step: event.step, kind: 'checkpoint', path: event.path });
        const adapterStep = event.best_step ?? event.step;
        await store.runs.addCheckpoint(runId, {
          step: adapterStep,
          kind: 'adapter',
          path: event.adapter,
          metrics: await store.runs.latestMetrics(runId, adapterStep),
        });
        break;
      }
      case 'exported':
        await store.runs.addCheckpoint(runId, { step: -1, kind: 'gguf-adapter', path: event.path });
        break;
      case 'error':
        errorMessage = event.message;
        break;
      case 'note':
        log('info', event.message);
        break;
    }
    options.onEvent?.(event, runId);
  };

  let status: TrainingResult['status'];
  try {
    const exit = await runTrainerProcess({ ...options, model, out, setId, db: store.file, log }, onEvent);
    if (exit.code === 0 && finished) status = 'complete';
    else if (exit.code === 0 && options.stopAfter !== undefined) status = 'interrupted';
    else if (exit.cancelled || stopped) status = 'interrupted';
    else {
      status = 'failed';
      errorMessage ??=
        `the trainer ${exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`}` +
        (exit.stderrTail ? `; its last output:\n${exit.stderrTail.split('\n').slice(-8).join('\n')}` : '');
    }
  } catch (error) {
    status = 'failed';
    errorMessage = error instanceof Error ? error.message : String(error);
  }
  await store.runs.finish(runId, status, status === 'interrupted' ? 'stopped before the end: run the same training again to resume' : errorMessage);
  return resultOf(store, runId, status, out, Boolean(previous), errorMessage, totalSteps);
}

/**
 * Moves a finished run's final folder aside (final-step<N>) before it is trained further, and points the episodes
 * and checkpoints that name its files there: evaluations are keyed by the adapter's path, so the longer run's new
 * final/adapter.gguf must not inherit the scores of the shorter one.
 */
async function archiveFinal(store: DatasetStore, runId: number, finalDir: string, step: number): Promise<string> {
  const archive = `${finalDir}-step${step}`;
  if (fs.existsSync(archive)) throw new TrainerError(`${archive} already exists: move it away before training this run further`);
  fs.renameSync(finalDir, archive);
  const moved = (p: string) => archive + p.slice(finalDir.length);
  await store.db.write(async (tx) => {
    const inside = `${finalDir}${path.sep}%`;
    const episodes = await tx.all<{ adapter: string }>('SELECT DISTINCT adapter FROM episodes WHERE adapter LIKE ?', [inside]);
    const under = (p: string) => p.startsWith(finalDir + path.sep); // LIKE's _ and % would match more
    for (const { adapter } of episodes.filter((e) => under(e.adapter)))
      await tx.run('UPDATE episodes SET adapter = ? WHERE adapter = ?', [moved(adapter), adapter]);
    const checkpoints = await tx.all<{ id: number; path: string }>('SELECT id, path FROM checkpoints WHERE run_id = ? AND path LIKE ?', [
      runId,
      inside,
    ]);
    for (const c of checkpoints.filter((c) => under(c.path))) await tx.run('UPDATE checkpoints SET path = ? WHERE id = ?', [moved(c.path), c.id]);
  });
  return archive;
}

/**
 * A resumed run keeps the settings it started with, except the few the trainer lets change on resume (early
 * stopping, checkpoint and log intervals). Those the trainer applied go into the run's record, so that its command
 * (and an adapter card's) says what trained it.
 */
async function recordAppliedSettings(
  store: DatasetStore,
  runId: number,
  requested: Record<string, unknown>,
  applied: Record<string, unknown>,
): Promise<void> {
  const run = await store.runs.get(runId);
  if (!run) return;
  const overrides = { ...((run.config.overrides as Record<string, unknown> | undefined) ?? {}) };
  const taken = Object.entries(requested).filter(
    ([key, value]) => (value === null || typeof value !== 'object') && applied[key] === value && overrides[key] !== value,
  );
  if (!taken.length) return;
  for (const [key, value] of taken) overrides[key] = value;
  await store.runs.updateConfig(runId, { ...run.config, overrides });
}

/** An unfinished run resumed with another step count: its last stage now goes there. */
function retargeted(config: Record<string, unknown>, steps: number | undefined): Record<string, unknown> | undefined {
  if (steps === undefined || steps === config.steps) return undefined;
  const stages = (config.stages as number[] | undefined) ?? [];
  return { ...config, steps, ...(stages.length ? { stages: [...stages.slice(0, -1), steps] } : {}) };
}

/** The step of a run's last checkpoint: what a finished run was trained to (early stopping may end it before its
 * planned steps). */
async function lastTrainedStep(store: DatasetStore, runId: number): Promise<number> {
  const checkpoints = await store.runs.checkpoints(runId);
  return Math.max(0, ...checkpoints.map((c) => c.step));
}

async function resultOf(
  store: DatasetStore,
  runId: number,
  status: TrainingResult['status'],
  out: string,
  resumed: boolean,
  error: string | null,
  totalSteps: number | null = null,
): Promise<TrainingResult> {
  const checkpoints = await store.runs.checkpoints(runId);
  const adapter = checkpoints.filter((c) => c.kind === 'adapter').at(-1);
  const gguf = checkpoints.filter((c) => c.kind === 'gguf-adapter').at(-1);
  const metrics = await store.runs.metrics(runId);
  const steps = metrics.reduce((m, p) => Math.max(m, p.step), 0);
  return {
    runId,
    status,
    out,
    adapterDir: status === 'complete' ? (adapter?.path ?? null) : null,
    adapterGguf: status === 'complete' ? (gguf?.path ?? null) : null,
    steps,
    totalSteps: totalSteps ?? (status === 'complete' ? steps : null),
    finalMetrics: await store.runs.latestMetrics(runId),
    resumed,
    error,
  };
}
