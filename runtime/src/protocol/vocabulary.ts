/**
 * The closed lists of words the boundaries share, each written once: the protocol's schemas, the SQL CHECK
 * constraints (store/schema.ts), the CLI's option checks and the extension's pickers are all built from these.
 */

export const ENV_KINDS = ['scienceworld', 'alfworld'] as const;

/** The agents: STEP-HRL, and the two baselines of STEP-HRL.md (flat ReAct, hierarchical with raw subtask history). */
export const AGENT_KINDS = ['stephrl', 'react', 'hrl-history'] as const;

/** Where the embedded model runs: 'auto' picks the best backend that decodes; 'cpu' uses none. */
export const GPU_CHOICES = ['auto', 'cpu', 'cuda', 'vulkan', 'metal'] as const;
/** How an adapter meets the embedded model: merged into a copy of it (one product per projection) or applied beside it. */
export const ADAPTER_MODES = ['merged', 'separate'] as const;
export type AdapterMode = (typeof ADAPTER_MODES)[number];

/** Status of a run or of an episode. `interrupted`: its process ended (killed, cancelled) before it finished. */
export const STATUSES = ['running', 'complete', 'failed', 'interrupted'] as const;

export const RUN_KINDS = ['collect', 'eval', 'train', 'annotate', 'import'] as const;

/** Who produced an episode: an environment's expert, a policy (an agent with a model), or a person. */
export const EPISODE_SOURCES = ['expert', 'policy', 'human'] as const;

/**
 * Who wrote an annotation: the rule annotator, the local model annotator, a person, or the agent itself (the
 * subtasks and local progress a STEP-HRL policy generated while it ran).
 */
export const PROVENANCES = ['rule', 'model', 'human', 'policy'] as const;

/** Formats `dataset import` reads (README: "Import and export"). */
export const IMPORT_FORMATS = ['jsonl', 'steprl-raw', 'eto', 'scienceworld-gold'] as const;

/** Formats `dataset export` writes: ours, the reference work's, ETO's, and chat samples for other trainers. */
export const EXPORT_FORMATS = ['jsonl', 'steprl-raw', 'eto', 'sharegpt', 'openai-chat'] as const;

/** The three STEP-HRL roles, plus a flat agent's single prompt and the model annotator. */
export const MODEL_ROLES = ['high', 'low', 'progress', 'flat', 'annotator'] as const;

/** The roles that get training transitions. */
export const TRANSITION_ROLES = ['high', 'low', 'progress'] as const;

export type EnvKindName = (typeof ENV_KINDS)[number];
export type AgentKind = (typeof AGENT_KINDS)[number];
export type GpuChoice = (typeof GPU_CHOICES)[number];
export type Status = (typeof STATUSES)[number];
export type RunKind = (typeof RUN_KINDS)[number];
export type EpisodeSource = (typeof EPISODE_SOURCES)[number];
export type Provenance = (typeof PROVENANCES)[number];
export type ImportFormat = (typeof IMPORT_FORMATS)[number];
export type ExportFormat = (typeof EXPORT_FORMATS)[number];
export type ModelRole = (typeof MODEL_ROLES)[number];
export type TransitionRole = (typeof TRANSITION_ROLES)[number];

/** "a, b or c": a list as a message names it. */
export function listed(values: readonly string[]): string {
  return values.length < 2 ? values.join('') : `${values.slice(0, -1).join(', ')} or ${values.at(-1)}`;
}
