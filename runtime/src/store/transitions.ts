/**
 * Transition sets in the dataset: the annotated episodes they are derived from, loaded in a few queries, and a set
 * stored whole for the trainer (runtime/python reads it). What a transition holds is the agent's business
 * (agent/stephrl-transitions.ts, agent/agent-transitions.ts): the store takes a derive function and keeps the rows.
 */
import type { EnvKind } from '../protocol/environment';
import type { TransitionRole } from './schema';
import type { SqliteDatabase } from './sqlite';
import { episodeWhere, type EpisodeFilter } from './episodes';
import { segmentationProblem } from './annotations';
import { nowIso } from './rows';

export interface TransitionEpisode {
  id: number;
  env: EnvKind;
  taskDescription: string;
  initialObservation: string;
  initialLook: string | null;
  initialInventory: string | null;
  steps: Array<{
    action: string;
    observation: string;
    look: string | null;
    inventory: string | null;
    reward: number;
    done: boolean;
    invalid: boolean;
  }>;
  subtasks: Array<{ name: string; firstStep: number; lastStep: number }>;
  /** progress[i]: local progress after step i (undefined where missing). */
  progress: Array<string | undefined>;
}

export interface Transition {
  role: TransitionRole;
  episodeId: number;
  subtaskOrdinal: number;
  stepIdx: number | null;
  state: string;
  target: string;
  nextState: string;
  reward: number;
  done: boolean;
}

/** Why an episode yields no transitions (missing annotations), or null. */
export function transitionProblem(e: TransitionEpisode): string | null {
  if (e.steps.length === 0) return 'it has no steps';
  const problem = segmentationProblem(e.subtasks, e.steps.length);
  if (problem) return `its subtasks are not a valid segmentation: ${problem}`;
  const missing = e.progress.length < e.steps.length ? e.progress.length : e.progress.findIndex((p) => p === undefined);
  return missing >= 0 ? `step ${missing} has no local progress` : null;
}

/** Loads the episodes a filter selects, with steps, subtasks and progress, in a few queries. */
export async function loadTransitionEpisodes(db: SqliteDatabase, filter: EpisodeFilter): Promise<TransitionEpisode[]> {
  const { where, params } = episodeWhere({ status: 'complete', ...filter });
  const limit = filter.limit ? ` LIMIT ${Math.floor(filter.limit)}` : '';
  const rows = await db.all<Record<string, unknown>>(
    `SELECT id, env, task_description, initial_observation, initial_look, initial_inventory FROM episodes${where} ORDER BY id${limit}`,
    params,
  );
  const episodes = new Map<number, TransitionEpisode>();
  for (const r of rows) {
    episodes.set(r.id as number, {
      id: r.id as number,
      env: r.env as EnvKind,
      taskDescription: r.task_description as string,
      initialObservation: r.initial_observation as string,
      initialLook: (r.initial_look as string | null) ?? null,
      initialInventory: (r.initial_inventory as string | null) ?? null,
      steps: [],
      subtasks: [],
      progress: [],
    });
  }
  const ids = JSON.stringify([...episodes.keys()]);
  const selected = 'episode_id IN (SELECT value FROM json_each(?))';
  const [steps, subtasks, progress] = await Promise.all([
    db.all<Record<string, unknown>>(
      `SELECT episode_id, idx, action, observation, look, inventory, reward, done, invalid FROM steps WHERE ${selected} ORDER BY episode_id, idx`,
      [ids],
    ),
    db.all<Record<string, unknown>>(`SELECT episode_id, name, first_step, last_step FROM subtasks WHERE ${selected} ORDER BY episode_id, ordinal`, [
      ids,
    ]),
    db.all<Record<string, unknown>>(`SELECT episode_id, step_idx, text FROM local_progress WHERE ${selected}`, [ids]),
  ]);
  for (const s of steps) {
    episodes.get(s.episode_id as number)!.steps.push({
      action: s.action as string,
      observation: s.observation as string,
      look: (s.look as string | null) ?? null,
      inventory: (s.inventory as string | null) ?? null,
      reward: s.reward as number,
      done: s.done === 1,
      invalid: s.invalid === 1,
    });
  }
  for (const s of subtasks) {
    episodes
      .get(s.episode_id as number)!
      .subtasks.push({ name: s.name as string, firstStep: s.first_step as number, lastStep: s.last_step as number });
  }
  for (const p of progress) episodes.get(p.episode_id as number)!.progress[p.step_idx as number] = p.text as string;
  return [...episodes.values()];
}

export interface TransitionCounts {
  episodes: number;
  /** Episodes left out because their annotations are missing or invalid. */
  unannotated: number;
  high: number;
  low: number;
  progress: number;
}

export function countTransitions(episodes: TransitionEpisode[], transitions: Transition[]): TransitionCounts {
  const counts: TransitionCounts = { episodes: 0, unannotated: 0, high: 0, low: 0, progress: 0 };
  for (const e of episodes) {
    if (transitionProblem(e)) counts.unannotated++;
    else counts.episodes++;
  }
  for (const t of transitions) counts[t.role]++;
  return counts;
}

/** Derives and stores a named transition set for the trainer; returns its id and counts. */
export async function materializeTransitions(
  db: SqliteDatabase,
  name: string,
  filter: EpisodeFilter,
  /** The agent whose transitions these are (agent/agent-transitions.ts): a baseline's name is kept with the selection. */
  agent: { name: string; derive: (e: TransitionEpisode) => Transition[] },
): Promise<{ setId: number; counts: TransitionCounts }> {
  const episodes = await loadTransitionEpisodes(db, filter);
  const transitions = episodes.flatMap(agent.derive);
  const counts = countTransitions(episodes, transitions);
  const setId = await db.write(async (tx) => {
    const { lastID } = await tx.run('INSERT INTO transition_sets (name, selection, counts, created_at) VALUES (?, ?, ?, ?)', [
      name,
      JSON.stringify(agent.name !== 'stephrl' ? { ...filter, agent: agent.name } : filter),
      JSON.stringify(counts),
      nowIso(),
    ]);
    const ordinals: Record<TransitionRole, number> = { high: 0, low: 0, progress: 0 };
    const CHUNK = 2000;
    for (let i = 0; i < transitions.length; i += CHUNK) {
      const rows = transitions
        .slice(i, i + CHUNK)
        .map((t) => [t.role, ordinals[t.role]++, t.episodeId, t.subtaskOrdinal, t.stepIdx, t.state, t.target, t.nextState, t.reward, t.done]);
      await tx.run(
        `INSERT INTO transitions (set_id, role, ordinal, episode_id, subtask_ordinal, step_idx, state, target, next_state, reward, done)
         SELECT ?1, value->>0, value->>1, value->>2, value->>3, value->>4, value->>5, value->>6, value->>7, value->>8, value->>9 FROM json_each(?2)`,
        [lastID, JSON.stringify(rows)],
      );
    }
    return lastID;
  });
  return { setId, counts };
}
