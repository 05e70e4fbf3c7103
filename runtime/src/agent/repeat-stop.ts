/**
 * Ending a greedy episode that has entered a cycle. Inside a subtask the STEP-HRL agent's next decisions depend on
 * its prompt state alone (subtask, local progress, observation) and on the world (the engine's whole state, which
 * also decides the valid commands). Greedy decoding answers a prompt the same way each time, and the environment
 * steps deterministically, so when one subtask meets the same prompt state in the same world twice, everything
 * between the two repeats forever: no step in it won, ended the episode or ended the subtask, so the episode would
 * go on round the cycle to its step cap and lose. Stopping there gives the same outcome without playing the rest;
 * the summary counts such an episode as played to the cap (evaluate/summary.ts), so steps and tokens per episode
 * stay comparable with runs played out.
 *
 * One assumption is the model's: llama.cpp gives the same answer to the same prompt whatever its KV cache held
 * before (the prompt's tail is evaluated in batches of other shapes when less of it is cached). Measured in the
 * README (repeat stop on and off over the same games); `--no-repeat-stop` plays every episode out.
 */
import type { DecodingSettings } from './types';

/**
 * Whether an episode may end at a repeated state: greedy decoding, not turned off, and an engine that names its whole
 * state (ALFWorld; ScienceWorld's world changes with time, so it gives no key).
 */
export function repeatStopApplies(decoding: DecodingSettings, stateKey: string | undefined): boolean {
  return (decoding.repeatStop ?? true) && !decoding.temperature && stateKey !== undefined;
}

/** The prompt states met within the current subtask, each with the step count when first met. */
export class RepeatWatch {
  private seen = new Map<string, number>();

  constructor(private readonly enabled: boolean) {}

  /** A new subtask: its prompts differ from the last one's, so earlier states cannot recur in it. */
  startSubtask(): void {
    this.seen.clear();
  }

  /**
   * Records the state before the decision at `stepCount` steps; returns the step count at which the same state was
   * met earlier in this subtask (the cycle's start), or null.
   */
  repeatOf(stepCount: number, state: { progress: string; observation: string; stateKey: string | undefined }): number | null {
    if (!this.enabled || state.stateKey === undefined) return null;
    const key = JSON.stringify([state.stateKey, state.progress, state.observation]);
    const earlier = this.seen.get(key);
    if (earlier !== undefined) return earlier;
    this.seen.set(key, stepCount);
    return null;
  }
}
