/**
 * Decision accuracy: the model's greedy answer to each stored transition's prompt against the expert's target, per
 * role, and for the actor per action verb. Where a full evaluation says only that episodes were lost, this says which
 * decisions go wrong (the actor never takes what it came for, the progress module never notes what it saw), on
 * held-apart episodes, in minutes, and without an environment.
 */
import type { EnvKind } from '../protocol/environment';
import { TRANSITION_ROLES, type TransitionRole } from '../protocol/vocabulary';
import type { SqliteDatabase } from '../store/sqlite';
import { parseLowLevelOutput, splitRolePrompt } from '../agent/prompts';
import { DECISION_MAX_TOKENS } from '../agent/episode-driver';
import type { LanguageModel } from '../llm/types';
import { wilsonInterval } from './intervals';
import { ErrorCodes, StudioError } from '../protocol/errors';

export interface DecisionFilter {
  /** The transition set (default: the newest). */
  setId?: number;
  /** Only these episodes' transitions. */
  episodeIds?: readonly number[];
  /** Only the episodes of these games (ALFWorld game keys; ScienceWorld task:variation). */
  games?: readonly string[];
  /** At most this many transitions per role (in episode order). */
  perRole?: number;
}

export interface Rate {
  n: number;
  correct: number;
  rate: number;
  interval: [number, number];
}

export interface DecisionMiss {
  episodeId: number;
  stepIdx: number | null;
  expected: string;
  got: string;
}

export interface RoleDecisions extends Rate {
  role: TransitionRole;
  /** The actor only: the action right, whatever the done flag. */
  action?: Rate;
  /** The actor only: the done flag right. */
  doneFlag?: Rate;
  /** The actor only: action accuracy by the expert action's verb (go, take, open, ...). */
  byVerb?: Record<string, Rate>;
  /** The first misses, as written. */
  misses: DecisionMiss[];
}

export interface DecisionReport {
  setId: number;
  episodes: number;
  roles: RoleDecisions[];
  promptTokens: number;
  cachedPromptTokens: number;
}

export interface DecisionRow {
  role: TransitionRole;
  episode_id: number;
  step_idx: number | null;
  state: string;
  target: string;
  env: EnvKind;
}

const MISSES_KEPT = 20;

export async function loadDecisionRows(db: SqliteDatabase, filter: DecisionFilter): Promise<{ setId: number; rows: DecisionRow[] }> {
  const setId = filter.setId ?? (await db.get<{ id: number }>('SELECT max(id) AS id FROM transition_sets'))?.id;
  if (setId === undefined || setId === null)
    throw new DecisionError('the dataset has no transition set: derive one first (`stephrl dataset transitions`)');
  if (!(await db.get('SELECT 1 AS one FROM transition_sets WHERE id = ?', [setId])))
    throw new DecisionError(`the dataset has no transition set ${setId}`);
  const clauses = ['t.set_id = ?'];
  const params: unknown[] = [setId];
  if (filter.episodeIds?.length) {
    clauses.push(`t.episode_id IN (${filter.episodeIds.map(() => '?').join(',')})`);
    params.push(...filter.episodeIds);
  }
  if (filter.games?.length) {
    // ALFWorld episodes are named by game key, ScienceWorld ones by task:variation (as validation-games.txt lists them).
    const marks = filter.games.map(() => '?').join(',');
    clauses.push(`(e.game IN (${marks}) OR (e.task || ':' || e.variation) IN (${marks}))`);
    params.push(...filter.games, ...filter.games);
  }
  const rows = await db.all<DecisionRow>(
    `SELECT t.role, t.episode_id, t.step_idx, t.state, t.target, e.env FROM transitions t JOIN episodes e ON e.id = t.episode_id
     WHERE ${clauses.join(' AND ')} ORDER BY t.role, t.episode_id, t.ordinal`,
    params,
  );
  if (!rows.length) throw new DecisionError(`transition set ${setId} has no transitions for the episodes asked for`);
  const perRole = filter.perRole;
  if (!perRole) return { setId, rows };
  const seen = new Map<string, number>();
  return {
    setId,
    rows: rows.filter((r) => {
      const n = (seen.get(r.role) ?? 0) + 1;
      seen.set(r.role, n);
      return n <= perRole;
    }),
  };
}

const rate = (correct: number, n: number): Rate => ({ n, correct, rate: n ? correct / n : 0, interval: wilsonInterval(correct, n) });
const normalise = (text: string): string => text.trim().replace(/\s+/g, ' ');
const verbOf = (action: string): string => action.trim().split(/\s+/)[0]?.toLowerCase() || '(none)';

class Tally {
  correct = 0;
  n = 0;
  add(ok: boolean): void {
    this.n++;
    if (ok) this.correct++;
  }
  get rate(): Rate {
    return rate(this.correct, this.n);
  }
}

class RoleTally {
  readonly exact = new Tally();
  readonly action = new Tally();
  readonly doneFlag = new Tally();
  readonly verbs = new Map<string, Tally>();
  readonly misses: DecisionMiss[] = [];

  constructor(readonly role: TransitionRole) {}

  add(row: DecisionRow, got: string): void {
    const ok = normalise(got) === normalise(row.target);
    this.exact.add(ok);
    if (!ok && this.misses.length < MISSES_KEPT)
      this.misses.push({ episodeId: row.episode_id, stepIdx: row.step_idx, expected: row.target.trim(), got: got.trim() });
    if (this.role !== 'low') return;
    const expected = parseLowLevelOutput(row.target);
    const answered = parseLowLevelOutput(got);
    if (!expected) return;
    const actionOk = !!answered && normalise(answered.action) === normalise(expected.action);
    this.action.add(actionOk);
    this.doneFlag.add(!!answered && answered.subtaskDone === expected.subtaskDone);
    const verb = verbOf(expected.action);
    const tally = this.verbs.get(verb) ?? new Tally();
    tally.add(actionOk);
    this.verbs.set(verb, tally);
  }

  report(): RoleDecisions {
    const base: RoleDecisions = { role: this.role, ...this.exact.rate, misses: this.misses };
    if (this.role !== 'low') return base;
    const byVerb = Object.fromEntries([...this.verbs.entries()].sort((a, b) => b[1].n - a[1].n).map(([verb, t]) => [verb, t.rate]));
    return { ...base, action: this.action.rate, doneFlag: this.doneFlag.rate, byVerb };
  }
}

/** Asks the model every selected transition's prompt greedily (as the agents ask it) and tallies its answers. */
export async function measureDecisions(
  db: SqliteDatabase,
  model: LanguageModel,
  filter: DecisionFilter,
  hooks: { onProgress?: (done: number, total: number) => void; signal?: AbortSignal } = {},
): Promise<DecisionReport> {
  const { setId, rows } = await loadDecisionRows(db, filter);
  const answers: string[] = [];
  const session = await model.openSession(['high', 'low', 'progress']);
  let promptTokens = 0;
  let cachedPromptTokens = 0;
  try {
    for (const [i, row] of rows.entries()) {
      hooks.signal?.throwIfAborted();
      const prompt = splitRolePrompt(row.state, row.env);
      const generation = await session.generate({
        role: row.role,
        prefix: prompt.prefix,
        state: prompt.state,
        maxTokens: DECISION_MAX_TOKENS[row.role],
        temperature: 0,
        stop: ['\n'],
        ...(hooks.signal ? { signal: hooks.signal } : {}),
      });
      promptTokens += generation.promptTokens;
      cachedPromptTokens += generation.cachedPromptTokens;
      answers.push(generation.text);
      hooks.onProgress?.(i + 1, rows.length);
    }
  } finally {
    await session.close();
  }
  return { setId, episodes: new Set(rows.map((r) => r.episode_id)).size, roles: scoreDecisions(rows, answers), promptTokens, cachedPromptTokens };
}

/** Each role's tally of answers (answers[i] to rows[i]) against the expert targets. */
export function scoreDecisions(rows: readonly DecisionRow[], answers: readonly string[]): RoleDecisions[] {
  const tallies = new Map<TransitionRole, RoleTally>();
  rows.forEach((row, i) => {
    const tally = tallies.get(row.role) ?? new RoleTally(row.role);
    tally.add(row, answers[i] ?? '');
    tallies.set(row.role, tally);
  });
  return TRANSITION_ROLES.filter((r) => tallies.has(r)).map((r) => tallies.get(r)!.report());
}

export class DecisionError extends StudioError {
  constructor(message: string) {
    super(message, ErrorCodes.InvalidParams);
    this.name = 'DecisionError';
  }
}
