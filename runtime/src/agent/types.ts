/** What every agent needs to run an episode, and what it reports as it goes. */
import type { Environment } from '../env/environment';
import type { EnvKind, ResetResult } from '../protocol/environment';
import type { ModelCallRecord, ProgressRecord, StepRecord, SubtaskRecord } from '../protocol/dataset';
import type { ModelSession } from '../llm/types';
import { AGENT_KINDS, type AgentKind, type ModelRole } from '../protocol/vocabulary';

export { AGENT_KINDS, type AgentKind };

/** The model roles each agent uses: the KV-cache slots a session needs. */
export const AGENT_ROLES: Record<AgentKind, readonly ModelRole[]> = {
  stephrl: ['high', 'low', 'progress'],
  react: ['flat'],
  'hrl-history': ['high', 'low'],
};

export interface DecodingSettings {
  /** 0: greedy (evaluation); 1 for collecting rollouts. */
  temperature: number;
  seed?: number;
  /** Restrict actions to the environment's valid commands with a grammar. */
  constrained: boolean;
  /** Keep every prompt and completion text in the store (the inspector shows them); token counts are always kept. */
  keepTexts: boolean;
  /** End a greedy episode at a repeated state (it would cycle to the step cap; see repeat-stop.ts). Absent: on. */
  repeatStop?: boolean;
}

export const DEFAULT_DECODING: DecodingSettings = { temperature: 0, constrained: false, keepTexts: true };

/** What an episode writes as it happens, so a live episode can be watched; one call per environment step. */
export interface EpisodeSink {
  step(update: {
    step: StepRecord;
    calls: ModelCallRecord[];
    /** The local progress after this step (STEP-HRL). */
    progress?: ProgressRecord;
    /** The whole segmentation so far, the current subtask ending at this step. */
    subtasks?: SubtaskRecord[];
  }): Promise<void>;
  /** Model calls made after the last step (for instance a planner call when the episode was stopped). */
  calls(calls: ModelCallRecord[]): Promise<void>;
}

export interface AgentEpisode {
  env: Environment;
  kind: EnvKind;
  reset: ResetResult;
  session: ModelSession;
  decoding: DecodingSettings;
  sink: EpisodeSink;
  signal?: AbortSignal;
}

export interface AgentOutcome {
  score: number;
  won: boolean;
  steps: number;
  /** done: the environment ended the episode; step_cap: the step limit did; repeat: a repeated state (a cycle). */
  stoppedBy: 'done' | 'step_cap' | 'repeat';
  /** repeat: the step count at which the repeated state was first met (the cycle runs from there to `steps`). */
  repeatFrom?: number;
}

export type AgentRunner = (episode: AgentEpisode) => Promise<AgentOutcome>;
