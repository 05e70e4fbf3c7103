/**
 * The critics' V, Q and advantage for every decision of a stored episode, for the inspector: the episode's
 * transitions (built by the same code as the training data) scored by a critics.pt that offline RL wrote. The
 * checkpoint is the one named, or the one beside the adapter the episode ran with.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { z } from 'zod';
import type { DatasetStore } from '../store/dataset-store';
import { loadTransitionEpisodes, transitionProblem } from '../store/transitions';
import { deriveTransitions } from '../agent/stephrl-transitions';
import { CriticValue, type EpisodeCriticValues } from '../protocol/trainer';
import { pythonSourceDir, resolvePython } from '../util/paths';
import { TrainerError } from './trainer-process';

const ScoresEvent = z.object({
  event: z.literal('scores'),
  scores: z.array(z.object({ v: z.number().nullable(), q: z.number().nullable(), advantage: z.number().nullable() })),
});

/** critics.pt named directly, in a training folder (its final/), or beside an exported adapter. */
export function findCritics(given: string): string | null {
  const target = path.resolve(given);
  const candidates = target.endsWith('.pt')
    ? [target]
    : [path.join(target, 'critics.pt'), path.join(target, 'final', 'critics.pt'), path.join(path.dirname(target), 'critics.pt')];
  return candidates.find((c) => fs.existsSync(c) && fs.statSync(c).isFile()) ?? null;
}

/** The base model of the training run that wrote a critics.pt (its folder's config.json, one or two levels up). */
export function baseModelOf(criticsFile: string): string | null {
  for (const dir of [path.dirname(criticsFile), path.dirname(path.dirname(criticsFile)), path.dirname(path.dirname(path.dirname(criticsFile)))]) {
    try {
      const config = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')) as { model?: unknown };
      if (typeof config.model === 'string') return config.model;
    } catch {
      // not this folder
    }
  }
  return null;
}

export async function criticValues(
  store: DatasetStore,
  options: { episodeId: number; checkpoint?: string; model?: string; python?: string; signal?: AbortSignal },
): Promise<EpisodeCriticValues> {
  const { episodeId } = options;
  const episode = await store.episodes.get(episodeId);
  const none = (reason: string, critics: string | null = null, baseModel: string | null = null): EpisodeCriticValues => ({
    episodeId,
    critics,
    baseModel,
    reason,
    values: [],
  });
  const given = options.checkpoint ?? episode.adapter;
  if (!given) return none('the episode ran without an adapter; name a critic checkpoint (an offline-RL training folder) to score it');
  // An episode's adapter path is data (an imported file can set it): follow it only to an adapter this dataset's own
  // training exported. A checkpoint the person names is theirs to choose.
  if (!options.checkpoint && !(await store.db.get(`SELECT 1 FROM checkpoints WHERE path = ? AND kind = 'gguf-adapter'`, [given]))) {
    return none(
      `the episode's adapter ${given} was not exported by a training run of this dataset: name its critic checkpoint (an offline-RL training folder) to score it`,
    );
  }
  const critics = findCritics(given);
  if (!critics) return none(`no critics.pt at ${given}: critics come from offline RL (stephrl train rl)`);
  const baseModel = options.model ?? baseModelOf(critics);
  if (!baseModel) return none(`the training folder of ${critics} does not say its base model (config.json)`, critics);
  const [loaded] = await loadTransitionEpisodes(store.db, { ids: [episodeId], status: episode.status === 'running' ? 'running' : 'complete' });
  const problem = loaded ? transitionProblem(loaded) : 'it is not complete';
  if (!loaded || problem) return none(`episode ${episodeId} has no transitions to score: ${problem}`, critics, baseModel);
  const transitions = deriveTransitions(loaded);

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stephrl-critic-'));
  try {
    const file = path.join(dir, 'transitions.json');
    fs.writeFileSync(
      file,
      JSON.stringify({
        transitions: transitions.map((t) => ({
          role: t.role,
          state: t.state,
          target: t.target,
          next_state: t.nextState,
          reward: t.reward,
          done: t.done,
        })),
      }),
    );
    const scores = await runScore(['--model', baseModel, '--critics', critics, '--transitions', file], options);
    return {
      episodeId,
      critics,
      baseModel,
      reason: null,
      values: transitions.map((t, i) =>
        CriticValue.parse({ role: t.role, subtask: t.subtaskOrdinal, step: t.role === 'high' ? null : t.stepIdx, ...scores[i] }),
      ),
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function runScore(args: string[], options: { python?: string; signal?: AbortSignal }): Promise<z.infer<typeof ScoresEvent>['scores']> {
  return new Promise((resolve, reject) => {
    execFile(
      resolvePython(options.python),
      ['-m', 'stephrl_train', 'score', ...args],
      {
        env: { ...process.env, PYTHONPATH: [pythonSourceDir, process.env.PYTHONPATH].filter(Boolean).join(':') },
        maxBuffer: 64 << 20,
        ...(options.signal ? { signal: options.signal } : {}),
      },
      (error, stdout, stderr) => {
        const events = stdout
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .map((l) => JSON.parse(l) as { event?: string; message?: string });
        const failure = events.find((e) => e.event === 'error');
        if (error || failure)
          return reject(new TrainerError(`scoring with the critics failed: ${failure?.message ?? stderr.trim().split('\n').slice(-4).join('\n')}`));
        const scores = ScoresEvent.safeParse(events.find((e) => e.event === 'scores'));
        if (!scores.success) return reject(new TrainerError(`the critics printed no scores: ${stderr.trim().split('\n').slice(-4).join('\n')}`));
        resolve(scores.data.scores);
      },
    );
  });
}
