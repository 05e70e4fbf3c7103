/**
 * The part every agent shares: asking the model (with accounting), stepping the environment, and writing each step
 * with the model calls behind it. The agents themselves only decide what to ask.
 */
import type { ModelCallRecord, StepRecord, SubtaskRecord } from '../protocol/dataset';
import { stepRecord } from '../store/step-record';
import type { StepResult } from '../protocol/environment';
import type { Generation } from '../llm/types';
import { commandGrammar } from '../llm/grammar';
import { actionResultText, observationText, parseSubtask, promptText, type Prompt } from './prompts';
import type { AgentEpisode, AgentOutcome } from './types';

/** What a subtask is called when the planner wrote nothing readable. */
export const UNREADABLE_SUBTASK = '(no readable subtask)';

/** Answer lengths per role: one line for subtasks and actions, a short paragraph for local progress. */
/** The most answer tokens each role may write. */
export const DECISION_MAX_TOKENS = { high: 48, low: 48, flat: 48, progress: 160, annotator: 256 } as const;

/** What an empty model output is recorded and sent as (ScienceWorld: "No known action matches that input."). */
export const NO_ACTION = '(no action)';

export class EpisodeDriver {
  readonly steps: StepRecord[] = [];
  /** The observation text the next decision sees. */
  observation: string;
  /** What the last action produced, as the local-progress module sees it. */
  actionResult = '';
  /** The engine's whole state, where it names one (ALFWorld). */
  stateKey: string | undefined;
  private pendingCalls: ModelCallRecord[] = [];
  private last: StepResult | null = null;

  constructor(private readonly episode: AgentEpisode) {
    const { reset, kind } = episode;
    this.stateKey = reset.stateKey;
    this.observation = observationText(
      kind,
      { observation: reset.observation, look: reset.look ?? null, inventory: reset.inventory ?? null },
      { initialObservation: reset.observation },
    );
  }

  get finished(): boolean {
    return this.last?.done ?? false;
  }

  /** Asks the model; the call is recorded against the step it decides (or, for progress, the step it follows). */
  async ask(prompt: Prompt, options: { grammar?: string } = {}): Promise<Generation> {
    const { session, decoding, signal } = this.episode;
    const generation = await session.generate({
      role: prompt.role,
      prefix: prompt.prefix,
      state: prompt.state,
      maxTokens: DECISION_MAX_TOKENS[prompt.role],
      temperature: decoding.temperature,
      stop: ['\n'],
      ...(decoding.seed !== undefined ? { seed: decoding.seed + this.pendingCalls.length + 1000 * this.steps.length } : {}),
      ...(options.grammar ? { grammar: options.grammar } : {}),
      ...(prompt.draft ? { draft: prompt.draft } : {}),
      ...(signal ? { signal } : {}),
    });
    this.pendingCalls.push({
      stepIdx: prompt.role === 'progress' ? this.steps.length - 1 : this.steps.length,
      role: prompt.role,
      promptTokens: generation.promptTokens,
      cachedPromptTokens: generation.cachedPromptTokens,
      completionTokens: generation.completionTokens,
      latencyMs: generation.latencyMs,
      prompt: decoding.keepTexts ? promptText(prompt) : null,
      completion: decoding.keepTexts ? generation.text : null,
      createdAt: new Date().toISOString(),
    });
    return generation;
  }

  /** A new subtask from the planner's answer, starting at the next step (its raw answer stays in the model call). */
  startSubtask(plannerText: string): SubtaskRecord {
    const at = this.steps.length;
    return { name: parseSubtask(plannerText) ?? UNREADABLE_SUBTASK, firstStep: at, lastStep: at, provenance: 'policy', reviewed: false };
  }

  /** The grammar of this step's valid commands when decoding is constrained, else undefined. */
  async actionGrammar(withSubtaskFlag: boolean): Promise<string | undefined> {
    if (!this.episode.decoding.constrained) return undefined;
    const commands = await this.episode.env.validActions();
    return commands.length ? commandGrammar(commands, { withSubtaskFlag }) : undefined;
  }

  /**
   * Sends an action to the environment. A model output with no readable action is sent as written: the engine
   * rejects it, the step is recorded as invalid, and the episode goes on. An empty output (the model ended at once)
   * is sent as NO_ACTION, which both engines reject the same way, so it costs a step as any invalid action does.
   */
  async act(written: string): Promise<{ step: StepRecord; result: StepResult }> {
    const action = written.trim() || NO_ACTION;
    const result = await this.episode.env.step(action);
    this.last = result;
    this.stateKey = result.stateKey;
    const step = stepRecord(this.steps.length, action, result);
    const before = this.steps.at(-1) ?? { look: this.episode.reset.look ?? null, inventory: this.episode.reset.inventory ?? null };
    this.actionResult = actionResultText(this.episode.kind, step, before);
    this.steps.push(step);
    this.observation = observationText(this.episode.kind, step, { initialObservation: this.episode.reset.observation });
    return { step, result };
  }

  /** Writes a step with the calls made for it (and, STEP-HRL, its progress and the segmentation so far). */
  async record(update: Omit<Parameters<AgentEpisode['sink']['step']>[0], 'calls'>): Promise<void> {
    const calls = this.pendingCalls;
    this.pendingCalls = [];
    await this.episode.sink.step({ ...update, calls });
  }

  /** The outcome so far; `repeatFrom`: the episode ends at a repeated state first met at that step count. */
  async outcome(repeatFrom: number | null = null): Promise<AgentOutcome> {
    if (this.pendingCalls.length) {
      await this.episode.sink.calls(this.pendingCalls);
      this.pendingCalls = [];
    }
    const last = this.last;
    return {
      score: last?.score ?? this.episode.reset.score,
      won: last?.won ?? false,
      steps: this.steps.length,
      ...(repeatFrom !== null ? { stoppedBy: 'repeat' as const, repeatFrom } : { stoppedBy: last?.truncated ? 'step_cap' : 'done' }),
    };
  }
}
