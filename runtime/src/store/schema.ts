/**
 * The dataset schema: the one place that says what the SQLite file holds. The runtime writes it; the Python
 * trainer (runtime/python) and the extension read it. Times are ISO-8601 UTC text; JSON columns are checked with
 * json_valid; booleans are 0/1. `PRAGMA user_version` holds the schema version; MIGRATIONS[i] moves a file from
 * version i to i + 1, and every migration runs in one transaction.
 */

import { EPISODE_SOURCES, ENV_KINDS, MODEL_ROLES, PROVENANCES, RUN_KINDS, STATUSES, TRANSITION_ROLES } from '../protocol/vocabulary';

// The lists live in the protocol (one vocabulary for every boundary); the store's importers find them here too.
export { EPISODE_SOURCES, MODEL_ROLES, PROVENANCES, RUN_KINDS, STATUSES, TRANSITION_ROLES } from '../protocol/vocabulary';
export type { EpisodeSource, ModelRole, Provenance, RunKind, Status, TransitionRole } from '../protocol/vocabulary';

const list = (values: readonly string[]) => values.map((v) => `'${v}'`).join(', ');

const V1 = `
-- A collection, evaluation, training, annotation or import job. pid/host let a later process tell that a
-- 'running' run was killed.
CREATE TABLE runs (
  id          INTEGER PRIMARY KEY,
  kind        TEXT NOT NULL CHECK (kind IN (${list(RUN_KINDS)})),
  name        TEXT NOT NULL,
  config      TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(config)),
  status      TEXT NOT NULL CHECK (status IN (${list(STATUSES)})),
  error       TEXT,
  pid         INTEGER,
  host        TEXT,
  started_at  TEXT NOT NULL,
  updated_at  TEXT NOT NULL,
  finished_at TEXT
);

-- One episode in one environment. ScienceWorld: task + variation + simplifications. ALFWorld: task is the task
-- type, game the game folder relative to the ALFWorld data root (json_2.1.1/<split>/<task>/<trial>), task_params
-- traj_data.json's pddl_params. Token totals sum the episode's model_calls.
CREATE TABLE episodes (
  id                   INTEGER PRIMARY KEY,
  run_id               INTEGER REFERENCES runs(id) ON DELETE SET NULL,
  env                  TEXT NOT NULL CHECK (env IN (${list(ENV_KINDS)})),
  split                TEXT,
  task                 TEXT NOT NULL,
  variation            INTEGER,
  simplifications      TEXT,
  game                 TEXT,
  task_params          TEXT CHECK (task_params IS NULL OR json_valid(task_params)),
  source               TEXT NOT NULL CHECK (source IN (${list(EPISODE_SOURCES)})),
  agent                TEXT NOT NULL,
  model                TEXT,
  adapter              TEXT,
  engine_name          TEXT NOT NULL,
  engine_version       TEXT NOT NULL,
  task_description     TEXT NOT NULL,
  initial_observation  TEXT NOT NULL,
  initial_look         TEXT,
  initial_inventory    TEXT,
  max_steps            INTEGER,
  status               TEXT NOT NULL CHECK (status IN (${list(STATUSES)})),
  stopped_by           TEXT,
  error                TEXT,
  score                REAL NOT NULL DEFAULT 0,
  won                  INTEGER NOT NULL DEFAULT 0 CHECK (won IN (0, 1)),
  step_count           INTEGER NOT NULL DEFAULT 0,
  invalid_count        INTEGER NOT NULL DEFAULT 0,
  model_calls          INTEGER NOT NULL DEFAULT 0,
  prompt_tokens        INTEGER NOT NULL DEFAULT 0,
  cached_prompt_tokens INTEGER NOT NULL DEFAULT 0,
  completion_tokens    INTEGER NOT NULL DEFAULT 0,
  started_at           TEXT NOT NULL,
  finished_at          TEXT,
  seconds              REAL
);
CREATE INDEX episodes_by_item ON episodes (env, task, variation, game, source, status);
CREATE INDEX episodes_by_run ON episodes (run_id);

-- (Tables with long texts keep rowids: WITHOUT ROWID suits only small rows.)
-- Step idx (0-based) is the idx-th action and what the environment answered. reward: ScienceWorld score delta / 100,
-- ALFWorld 1 on the winning step. score: 0..100. invalid: the engine rejected the action.
CREATE TABLE steps (
  episode_id  INTEGER NOT NULL REFERENCES episodes(id) ON DELETE CASCADE,
  idx         INTEGER NOT NULL CHECK (idx >= 0),
  action      TEXT NOT NULL,
  observation TEXT NOT NULL,
  look        TEXT,
  inventory   TEXT,
  reward      REAL NOT NULL,
  score       REAL NOT NULL,
  done        INTEGER NOT NULL CHECK (done IN (0, 1)),
  won         INTEGER NOT NULL CHECK (won IN (0, 1)),
  truncated   INTEGER NOT NULL DEFAULT 0 CHECK (truncated IN (0, 1)),
  invalid     INTEGER NOT NULL CHECK (invalid IN (0, 1)),
  PRIMARY KEY (episode_id, idx)
);

-- Every model call behind an episode: which role, for which step (the step it chose, or the step whose progress
-- it wrote; NULL for a high-level call made before the subtask's first step is known), tokens counted with the
-- model's own tokenizer, cached = prompt tokens served from the KV cache.
CREATE TABLE model_calls (
  id                   INTEGER PRIMARY KEY,
  episode_id           INTEGER NOT NULL REFERENCES episodes(id) ON DELETE CASCADE,
  step_idx             INTEGER,
  role                 TEXT NOT NULL CHECK (role IN (${list(MODEL_ROLES)})),
  prompt_tokens        INTEGER NOT NULL,
  cached_prompt_tokens INTEGER NOT NULL DEFAULT 0,
  completion_tokens    INTEGER NOT NULL,
  latency_ms           REAL NOT NULL,
  prompt               TEXT,
  completion           TEXT,
  created_at           TEXT NOT NULL
);
CREATE INDEX model_calls_by_episode ON model_calls (episode_id, step_idx);

-- The subtasks of an episode, in order (ordinal 0, 1, ...), covering its steps exactly: the first starts at step 0,
-- each next one right after the previous one's last step, the last ends at the episode's last step.
CREATE TABLE subtasks (
  episode_id INTEGER NOT NULL REFERENCES episodes(id) ON DELETE CASCADE,
  ordinal    INTEGER NOT NULL CHECK (ordinal >= 0),
  name       TEXT NOT NULL CHECK (length(trim(name)) > 0),
  first_step INTEGER NOT NULL CHECK (first_step >= 0),
  last_step  INTEGER NOT NULL,
  provenance TEXT NOT NULL CHECK (provenance IN (${list(PROVENANCES)})),
  reviewed   INTEGER NOT NULL DEFAULT 0 CHECK (reviewed IN (0, 1)),
  PRIMARY KEY (episode_id, ordinal),
  CHECK (last_step >= first_step)
) WITHOUT ROWID;

-- The local progress after step step_idx, inside the subtask holding that step (before a subtask's first step it
-- is "None", which is not stored).
CREATE TABLE local_progress (
  episode_id INTEGER NOT NULL,
  step_idx   INTEGER NOT NULL,
  text       TEXT NOT NULL,
  provenance TEXT NOT NULL CHECK (provenance IN (${list(PROVENANCES)})),
  reviewed   INTEGER NOT NULL DEFAULT 0 CHECK (reviewed IN (0, 1)),
  PRIMARY KEY (episode_id, step_idx),
  FOREIGN KEY (episode_id, step_idx) REFERENCES steps (episode_id, idx) ON DELETE CASCADE
) WITHOUT ROWID;

-- The audit trail: every change to an episode's annotations, with the values before and after (JSON snapshots of
-- what changed: {"subtasks": [...]} and/or {"progress": {"<step>": {...} | null}}). Undo applies old_value again
-- and records itself as an edit; undone_by points at that undo.
CREATE TABLE annotation_edits (
  id         INTEGER PRIMARY KEY,
  episode_id INTEGER NOT NULL REFERENCES episodes(id) ON DELETE CASCADE,
  operation  TEXT NOT NULL,
  old_value  TEXT NOT NULL CHECK (json_valid(old_value)),
  new_value  TEXT NOT NULL CHECK (json_valid(new_value)),
  actor      TEXT NOT NULL,
  created_at TEXT NOT NULL,
  undone_by  INTEGER REFERENCES annotation_edits(id)
);
CREATE INDEX annotation_edits_by_episode ON annotation_edits (episode_id, id);

-- Training curves and evaluation figures: one value of a named metric at a step of a run.
CREATE TABLE metrics (
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  step   INTEGER NOT NULL,
  name   TEXT NOT NULL,
  value  REAL NOT NULL,
  time   TEXT NOT NULL
);
CREATE INDEX metrics_by_run ON metrics (run_id, name, step);

-- Files a training run wrote (LoRA adapters, critic heads, merged GGUF models).
CREATE TABLE checkpoints (
  id         INTEGER PRIMARY KEY,
  run_id     INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  step       INTEGER NOT NULL,
  kind       TEXT NOT NULL,
  path       TEXT NOT NULL,
  metrics    TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(metrics)),
  created_at TEXT NOT NULL
);

-- Step-level transitions derived for training (STEP-HRL.md, "Data"): the trainer reads these and never builds
-- prompts itself. state/next_state/target are the exact texts the agent sees and writes at inference.
CREATE TABLE transition_sets (
  id         INTEGER PRIMARY KEY,
  name       TEXT NOT NULL,
  selection  TEXT NOT NULL CHECK (json_valid(selection)),
  counts     TEXT NOT NULL CHECK (json_valid(counts)),
  created_at TEXT NOT NULL
);
CREATE TABLE transitions (
  set_id           INTEGER NOT NULL REFERENCES transition_sets(id) ON DELETE CASCADE,
  role             TEXT NOT NULL CHECK (role IN (${list(TRANSITION_ROLES)})),
  ordinal          INTEGER NOT NULL,
  episode_id       INTEGER NOT NULL REFERENCES episodes(id) ON DELETE CASCADE,
  subtask_ordinal  INTEGER NOT NULL,
  step_idx         INTEGER,
  state            TEXT NOT NULL,
  target           TEXT NOT NULL,
  next_state       TEXT NOT NULL,
  reward           REAL NOT NULL,
  done             INTEGER NOT NULL CHECK (done IN (0, 1)),
  PRIMARY KEY (set_id, role, ordinal)
);
`;

/**
 * Version 2: where a greedy episode that ended at a repeated state first met that state (the step index), so that
 * its figures can be counted as played to the step cap (see agent/repeat-stop.ts).
 */
const V2 = `
ALTER TABLE episodes ADD COLUMN repeat_from INTEGER CHECK (repeat_from IS NULL OR repeat_from >= 0);
`;

/** MIGRATIONS[i] takes a database from schema version i to i + 1. Append; never edit a released migration. */
export const MIGRATIONS: readonly string[] = [V1, V2];
export const SCHEMA_VERSION = MIGRATIONS.length;
