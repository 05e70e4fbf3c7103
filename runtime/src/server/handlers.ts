/** The runtime's JSON-RPC services: thin adapters from the protocol to the runtime's modules. */
import * as fs from 'node:fs';
import type { MessageConnection } from 'vscode-jsonrpc';
import { sendNotification, type Handlers } from '../protocol/jsonrpc';
import { WorkerEnvironment } from '../env/environment';
import { EXPERT_MAX_STEPS, runExpert } from '../env/expert';
import { WorkerPool } from '../env/pool';
import type { EnvKind } from '../protocol/environment';
import { resolveAlfworldData, resolveModelPath, stateDir } from '../util/paths';
import * as path from 'node:path';
import { trainModel } from '../services/train';
import { evaluateAgent } from '../services/evaluate';
import { collectDemos } from '../services/demonstrations';
import { PIPELINE_SLICES, runPipeline, defaultPipelineOut } from '../pipeline/pipeline';
import { listModels } from '../train/models';
import { criticValues } from '../train/critic-values';
import { exportEpisodes } from '../exchange/files';
import { importFiles } from '../exchange/import-files';
import * as os from 'node:os';
import { ResponseError } from 'vscode-jsonrpc';
import { ErrorCodes } from '../protocol/jsonrpc';
import { ConflictError } from '../protocol/errors';
import type { Logger } from '../util/log';
import { checkHealth } from './health';
import { DatasetStore, defaultDatasetPath } from '../store/dataset-store';
import { datasetStats } from '../store/stats';
import { compareRuns } from '../evaluate/compare';
import { RULE_ANNOTATOR, annotatable, annotateStoredEpisodes } from '../annotate/run';
import { openAnnotator } from '../annotate/choose';
import { isRunProcess } from '../util/proc-cpu';
import { headlineLoss } from '../protocol/metrics';

export function createHandlers(connection: MessageConnection, log: Logger): { handlers: Handlers; dispose: () => Promise<void> } {
  const pools = new Map<EnvKind, WorkerPool>();
  const pool = (kind: EnvKind) => {
    let p = pools.get(kind);
    if (!p) pools.set(kind, (p = new WorkerPool(kind, { size: 1, log })));
    return p;
  };

  // One open store per dataset file, kept for the server's life (WAL lets the CLI and trainer use it meanwhile).
  const stores = new Map<string, Promise<DatasetStore>>();
  const store = (db?: string) => {
    const file = db ?? defaultDatasetPath();
    let s = stores.get(file);
    if (!s) {
      stores.set(file, (s = DatasetStore.open(file)));
      s.catch(() => stores.delete(file)); // a bad file is reported, and retried on the next request
    }
    return s;
  };
  // Requests that only read answer from an empty in-memory dataset when the file does not exist, instead of
  // creating it (the Runs or Datasets view opening must not leave files behind).
  let empty: Promise<DatasetStore> | null = null;
  const readStore = (db?: string) => (fs.existsSync(db ?? defaultDatasetPath()) ? store(db) : (empty ??= DatasetStore.open(':memory:')));
  const editor = 'user:editor';

  // Runs this runtime is running, with the controller that stops each: `runs/stop` uses it.
  const running = new Map<number, AbortController>();
  const job = async <T>(signal: AbortSignal, body: (signal: AbortSignal, track: (runId: number | null) => void) => Promise<T>): Promise<T> => {
    const controller = new AbortController();
    const abort = () => controller.abort();
    if (signal.aborted) abort();
    else signal.addEventListener('abort', abort, { once: true });
    try {
      return await body(controller.signal, (runId) => runId !== null && running.set(runId, controller));
    } finally {
      signal.removeEventListener('abort', abort);
      for (const [runId, c] of running) if (c === controller) running.delete(runId);
    }
  };

  const handlers: Handlers = {
    'runtime/health': () => checkHealth(),
    'env/listSplit': async ({ env, split, tasks, data }) => {
      const episodes = await pool(env).use((e: WorkerEnvironment) =>
        e.listSplit(split, { tasks, ...(env === 'alfworld' ? { data: resolveAlfworldData(data) } : {}) }),
      );
      return { count: episodes.length, episodes };
    },
    'env/runExpert': ({ episode, maxSteps, token }) =>
      pool(episode.env).use(
        (e) =>
          runExpert(e, episode, { maxSteps: maxSteps ?? EXPERT_MAX_STEPS }, (step) => {
            if (token) sendNotification(connection, 'env/expertStep', { token, step });
          }),
        episode,
      ),
    'dataset/stats': async ({ db, filter }) => datasetStats((await readStore(db)).db, filter ?? {}),
    'dataset/listEpisodes': async ({ db, filter }) => ({ episodes: await (await readStore(db)).episodes.list(filter ?? {}) }),
    'dataset/export': async ({ db, filter, format, out, agent }) => ({
      episodes: await exportEpisodes(await readStore(db), filter ?? {}, format, path.resolve(out), { agent }),
      out: path.resolve(out),
    }),
    'dataset/import': async ({ db, format, files, env, task, split, annotate, again }) => {
      const { runId, imported, annotated, annotationFailures, alreadyImportedBy } = await importFiles(await store(db), format, files, {
        annotate,
        again,
        ...(env ? { env } : {}),
        ...(task ? { task } : {}),
        ...(split ? { split } : {}),
      });
      return { runId, imported, annotated, annotationFailures, alreadyImportedBy };
    },
    'dataset/annotationStatus': async ({ db, filter }) => ({ episodes: await (await readStore(db)).annotations.status(filter ?? {}) }),
    'dataset/getEpisode': async ({ db, episodeId }) => (await store(db)).episodes.get(episodeId),
    'dataset/editAnnotation': async ({ db, episodeId, edit, actor }) => (await store(db)).annotations.edit(episodeId, edit, actor ?? editor),
    'dataset/undoAnnotation': async ({ db, episodeId, actor }) => (await store(db)).annotations.undo(episodeId, actor ?? editor),
    'dataset/annotationHistory': async ({ db, episodeId }) => ({ edits: await (await store(db)).annotations.history(episodeId) }),
    'dataset/suggestAnnotation': async ({ db, episodeId }) => {
      const episode = await (await store(db)).episodes.get(episodeId);
      if (!episode.steps.length) throw new ResponseError(ErrorCodes.InvalidParams, `episode ${episodeId} has no steps to annotate`);
      return RULE_ANNOTATOR.annotate(annotatable(episode));
    },
    'train/criticValues': async ({ db, episodeId, checkpoint, python }, signal) =>
      criticValues(await store(db), { episodeId, signal, ...(checkpoint ? { checkpoint } : {}), ...(python ? { python } : {}) }),
    'dataset/deleteEpisodes': async ({ db, ids }) => ({ deleted: await (await store(db)).episodes.delete(ids) }),
    'runs/compare': async ({ db, runIds }) => compareRuns(await readStore(db), runIds),
    'runs/delete': async ({ db, runId, episodes }) => {
      if (running.has(runId)) throw new ConflictError(`run ${runId} is running: stop it first`);
      return (await store(db)).runs.delete(runId, { episodes });
    },
    'dataset/metrics': async ({ db, runId, after, limit }) => (await readStore(db)).runs.metricsAfter(runId, after, limit),
    'dataset/collectDemonstrations': async (request, signal) => {
      const progress = { total: 0, done: 0, failed: 0 };
      const notify = (extra: { label?: string; error?: string } = {}) => {
        if (request.token) sendNotification(connection, 'job/progress', { token: request.token, ...progress, ...extra });
      };
      return collectDemos(await store(request.db), request, {
        signal,
        onPlan: ({ pending }) => {
          progress.total = pending;
          notify();
        },
        onEpisode: ({ ok, label, error }) => {
          progress.done++;
          if (!ok) progress.failed++;
          notify({ label, ...(error ? { error } : {}) });
        },
      });
    },
    'dataset/annotate': async (request, signal) => {
      const dataset = await store(request.db);
      const filter = request.filter ?? {};
      const progress = { total: (await dataset.episodes.list({ status: 'complete', ...filter })).length, done: 0, failed: 0 };
      const { annotator, close } = await openAnnotator(request.annotator, request.model, log);
      try {
        return await annotateStoredEpisodes(dataset, {
          filter,
          overwriteUnreviewed: request.overwriteUnreviewed,
          annotator,
          signal,
          onEpisode: (ok) => {
            progress.done++;
            if (!ok) progress.failed++;
            if (request.token) sendNotification(connection, 'job/progress', { token: request.token, ...progress });
          },
        });
      } finally {
        await close();
      }
    },
    'dataset/listRuns': async ({ db, kind, limit }) => {
      const dataset = await readStore(db);
      const runs = (await dataset.runs.list(kind)).sort((a, b) => b.id - a.id).slice(0, limit);
      return { runs: await Promise.all(runs.map(async (r) => ({ ...r, metrics: await dataset.runs.latestMetrics(r.id) }))) };
    },
    'agent/evaluate': (request, requestSignal) =>
      job(requestSignal, async (signal, track) => {
        const progress = { total: 0, done: 0, failed: 0, runId: null as number | null };
        const notify = (extra: { label?: string; score?: number; won?: boolean; error?: string } = {}) => {
          if (request.token) sendNotification(connection, 'agent/evaluationProgress', { token: request.token, ...progress, ...extra });
        };
        return evaluateAgent(await store(request.db), request, {
          signal,
          log,
          onRun: track,
          onPlan: ({ pending, runId }) => {
            Object.assign(progress, { total: pending, runId });
            notify();
          },
          onEpisode: ({ ok, label, score, won, error }) => {
            progress.done++;
            if (!ok) progress.failed++;
            notify({ label, ...(score !== undefined ? { score } : {}), ...(won !== undefined ? { won } : {}), ...(error ? { error } : {}) });
          },
        });
      }),
    'train/run': (request, requestSignal) =>
      job(requestSignal, async (signal, track) => {
        let totalSteps = 0;
        let doneSteps = 0;
        return trainModel(await store(request.db), request, {
          signal,
          log,
          onRun: track,
          onEvent: (event) => {
            if (!request.token) return;
            if (event.event === 'start') [totalSteps, doneSteps] = [event.total_steps, event.start_step];
            // A note (the critics' features, an hour on a CPU) says what the trainer does before its next step.
            if (event.event === 'note')
              sendNotification(connection, 'job/progress', {
                token: request.token,
                total: totalSteps,
                done: doneSteps,
                failed: 0,
                label: event.message,
              });
            if (event.event !== 'metrics') return;
            doneSteps = event.step;
            const loss = headlineLoss(event.values)?.value;
            sendNotification(connection, 'job/progress', {
              token: request.token,
              total: Math.max(totalSteps, event.step),
              done: event.step,
              failed: 0,
              ...(loss != null ? { label: `step ${event.step}, loss ${loss.toFixed(4)}` } : {}),
            });
          },
        });
      }),
    'train/pipeline': (request, requestSignal) =>
      job(requestSignal, async (signal, track) => {
        const modelPath = resolveModelPath(request.model);
        return runPipeline(await store(request.db), {
          envs: request.envs,
          preset: request.preset,
          slice: PIPELINE_SLICES[request.slice],
          modelPath,
          model: { gpu: request.gpu, prefixReuse: true, adapterMode: 'merged', ...(request.threads ? { threads: request.threads } : {}) },
          out: request.out ?? defaultPipelineOut(stateDir, modelPath, request.preset, request.slice, request.tasks),
          alfworldData: resolveAlfworldData(request.alfworldData),
          parallel: request.parallel,
          ...(request.evalPerTask ? { evalPerTask: request.evalPerTask } : {}),
          ...(request.baselines ? { baselines: true } : {}),
          ...(request.tasks ? { tasks: request.tasks } : {}),
          expertSeeds: request.expertSeeds,
          log,
          signal,
          onStage: (label, index, total) => {
            if (request.token) sendNotification(connection, 'job/progress', { token: request.token, total, done: index, failed: 0, label });
          },
          onRun: track,
        });
      }),
    'models/list': async ({ db, extra }) => listModels(await readStore(db), extra),
    'runs/stop': async ({ db, runId }) => {
      const controller = running.get(runId);
      if (controller) {
        controller.abort();
        return { how: 'cancelled' as const };
      }
      const run = await (await store(db)).runs.get(runId);
      if (!run) throw new ResponseError(ErrorCodes.InvalidParams, `there is no run ${runId}`);
      if (run.status !== 'running') throw new ConflictError(`run ${runId} is not running (${run.status})`);
      if (run.host !== os.hostname() || !run.pid || run.pid === process.pid) {
        throw new ConflictError(`run ${runId} belongs to process ${run.pid} on ${run.host}: stop it there`);
      }
      // The stored process id may since have been reused by another process: signal it only if it is still the run's.
      if (!isRunProcess(run.pid, run.startedAt)) {
        throw new ConflictError(
          `run ${runId}'s process ${run.pid} is gone (the id now belongs to another process, or to none): nothing was signalled`,
        );
      }
      try {
        process.kill(run.pid, 'SIGTERM'); // the CLI stops after the current step or episode and keeps everything
      } catch (error) {
        throw new ConflictError(`run ${runId}'s process ${run.pid} could not be signalled: ${(error as Error).message}`);
      }
      return { how: 'signalled' as const };
    },
  };
  const dispose = async () => {
    await Promise.all([...pools.values()].map((p) => p.close()));
    await Promise.all(
      [...stores.values()].map((s) =>
        s.then(
          (opened) => opened.close(),
          () => undefined,
        ),
      ),
    );
  };
  return { handlers, dispose };
}
