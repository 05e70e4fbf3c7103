/** Row <-> record mapping for episodes and their children (SQLite columns are snake_case, records camelCase). */
import type { EpisodeFields, EpisodeSummary, ModelCallRecord, ProgressRecord, StepRecord, SubtaskRecord } from '../protocol/dataset';

/** Episode record field -> column, in table order. */
export const EPISODE_COLUMNS = {
  env: 'env',
  split: 'split',
  task: 'task',
  variation: 'variation',
  simplifications: 'simplifications',
  game: 'game',
  taskParams: 'task_params',
  source: 'source',
  agent: 'agent',
  model: 'model',
  adapter: 'adapter',
  engineName: 'engine_name',
  engineVersion: 'engine_version',
  taskDescription: 'task_description',
  initialObservation: 'initial_observation',
  initialLook: 'initial_look',
  initialInventory: 'initial_inventory',
  maxSteps: 'max_steps',
  status: 'status',
  stoppedBy: 'stopped_by',
  error: 'error',
  score: 'score',
  won: 'won',
  startedAt: 'started_at',
  finishedAt: 'finished_at',
  seconds: 'seconds',
} as const satisfies Record<keyof EpisodeFields, string>;

const TOTAL_COLUMNS = {
  stepCount: 'step_count',
  invalidCount: 'invalid_count',
  modelCalls: 'model_calls',
  promptTokens: 'prompt_tokens',
  cachedPromptTokens: 'cached_prompt_tokens',
  completionTokens: 'completion_tokens',
} as const;

type Row = Record<string, unknown>;

export const EPISODE_SELECT = `SELECT id, run_id, ${[...Object.values(EPISODE_COLUMNS), ...Object.values(TOTAL_COLUMNS)].join(', ')} FROM episodes`;

export function episodeParams(fields: EpisodeFields): unknown[] {
  return (Object.keys(EPISODE_COLUMNS) as Array<keyof EpisodeFields>).map((key) => {
    const value = fields[key];
    if (key === 'taskParams') return value === null ? null : JSON.stringify(value);
    if (typeof value === 'boolean') return value ? 1 : 0;
    return value;
  });
}

export function episodeFromRow(row: Row): EpisodeSummary {
  const record: Row = { id: row.id, runId: row.run_id ?? null };
  for (const [key, column] of Object.entries(EPISODE_COLUMNS)) record[key] = row[column] ?? null;
  for (const [key, column] of Object.entries(TOTAL_COLUMNS)) record[key] = row[column];
  record.won = row.won === 1;
  record.taskParams = typeof row.task_params === 'string' ? JSON.parse(row.task_params) : null;
  return record as EpisodeSummary;
}

export const STEP_SELECT = 'SELECT idx, action, observation, look, inventory, reward, score, done, won, truncated, invalid FROM steps';

export function stepFromRow(row: Row): StepRecord {
  return {
    idx: row.idx as number,
    action: row.action as string,
    observation: row.observation as string,
    look: (row.look as string | null) ?? null,
    inventory: (row.inventory as string | null) ?? null,
    reward: row.reward as number,
    score: row.score as number,
    done: row.done === 1,
    won: row.won === 1,
    truncated: row.truncated === 1,
    invalid: row.invalid === 1,
  };
}

export function subtaskFromRow(row: Row): SubtaskRecord {
  return {
    name: row.name as string,
    firstStep: row.first_step as number,
    lastStep: row.last_step as number,
    provenance: row.provenance as SubtaskRecord['provenance'],
    reviewed: row.reviewed === 1,
  };
}

export function progressFromRow(row: Row): ProgressRecord {
  return {
    step: row.step_idx as number,
    text: row.text as string,
    provenance: row.provenance as ProgressRecord['provenance'],
    reviewed: row.reviewed === 1,
  };
}

export function modelCallFromRow(row: Row): ModelCallRecord {
  return {
    stepIdx: (row.step_idx as number | null) ?? null,
    role: row.role as ModelCallRecord['role'],
    promptTokens: row.prompt_tokens as number,
    cachedPromptTokens: row.cached_prompt_tokens as number,
    completionTokens: row.completion_tokens as number,
    latencyMs: row.latency_ms as number,
    prompt: (row.prompt as string | null) ?? null,
    completion: (row.completion as string | null) ?? null,
    createdAt: row.created_at as string,
  };
}

export const nowIso = (): string => new Date().toISOString();
