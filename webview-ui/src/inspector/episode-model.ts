/**
 * An episode as the inspector shows it: task, then subtasks (name, steps, reward, how each ended), then steps
 * (action, observation, reward and score, local progress before and after, the model calls behind the step).
 * Pure: built from the stored EpisodeDetail, tested without a browser.
 */
import type { EpisodeDetail, ModelCallRecord, StepRecord } from '../../../runtime/src/protocol/dataset';

/** The text the progress module starts each subtask from (STEP-HRL.md: "None"). */
export const NO_PROGRESS = 'None';

export interface StepView extends StepRecord {
  progressBefore: string;
  progressAfter: string | null;
  calls: ModelCallRecord[];
  /** Prompt + completion tokens and latency of the step's model calls. */
  tokens: number;
  latencyMs: number;
}

export type SubtaskEnd = 'policy flag' | 'won' | 'episode over' | 'step cap' | 'repeated state' | 'stopped' | 'annotated boundary' | 'running';

export interface SubtaskView {
  ordinal: number;
  name: string;
  provenance: string;
  firstStep: number;
  lastStep: number;
  reward: number;
  ended: SubtaskEnd;
  /** The high-level call that wrote this subtask (policy episodes). */
  highCall: ModelCallRecord | null;
  steps: StepView[];
}

export interface EpisodeView {
  episode: EpisodeDetail;
  title: string;
  subtasks: SubtaskView[];
  firstInvalidStep: number | null;
  totals: { steps: number; invalid: number; reward: number; tokens: number; latencyMs: number };
}

function stepsWithProgress(e: EpisodeDetail, subtaskOf: (idx: number) => number): StepView[] {
  const progressAt = new Map(e.progress.map((p) => [p.step, p.text]));
  const callsAt = new Map<number, ModelCallRecord[]>();
  for (const c of e.modelCalls) if (c.stepIdx !== null && c.role !== 'high') callsAt.set(c.stepIdx, [...(callsAt.get(c.stepIdx) ?? []), c]);
  return e.steps.map((s) => {
    const prev = s.idx > 0 && subtaskOf(s.idx - 1) === subtaskOf(s.idx) ? progressAt.get(s.idx - 1) : undefined;
    const calls = callsAt.get(s.idx) ?? [];
    return {
      ...s,
      progressBefore: prev ?? NO_PROGRESS,
      progressAfter: progressAt.get(s.idx) ?? null,
      calls,
      tokens: calls.reduce((n, c) => n + c.promptTokens + c.completionTokens, 0),
      latencyMs: calls.reduce((n, c) => n + c.latencyMs, 0),
    };
  });
}

function howItEnded(e: EpisodeDetail, isLast: boolean, lastStep: StepRecord | undefined): SubtaskEnd {
  if (e.source !== 'policy') return isLast && e.status === 'running' ? 'running' : 'annotated boundary';
  if (!isLast) return 'policy flag';
  if (e.status === 'running') return 'running';
  if (lastStep?.won || e.won) return 'won';
  if (lastStep?.truncated || e.stoppedBy === 'step_cap') return 'step cap';
  // A greedy episode back in a state it had been in: it would have gone round that cycle to the cap.
  if (e.stoppedBy === 'repeat') return 'repeated state';
  if (lastStep?.done) return 'episode over';
  return 'stopped';
}

export function episodeView(e: EpisodeDetail): EpisodeView {
  const subtasks = [...e.subtasks].sort((a, b) => a.firstStep - b.firstStep);
  const ordinalOfStep = (idx: number) => subtasks.findIndex((s) => idx >= s.firstStep && idx <= s.lastStep);
  const steps = stepsWithProgress(e, ordinalOfStep);
  const highCalls = e.modelCalls.filter((c) => c.role === 'high');
  const views: SubtaskView[] = subtasks.map((s, i) => {
    const own = steps.filter((st) => st.idx >= s.firstStep && st.idx <= s.lastStep);
    return {
      ordinal: i,
      name: s.name,
      provenance: s.provenance,
      firstStep: s.firstStep,
      lastStep: s.lastStep,
      reward: own.reduce((r, st) => r + st.reward, 0),
      ended: howItEnded(e, i === subtasks.length - 1, own[own.length - 1]),
      highCall: highCalls[i] ?? null,
      steps: own,
    };
  });
  // Steps no subtask holds (flat agents, unannotated demonstrations): one group, named for what it is.
  const loose = steps.filter((st) => ordinalOfStep(st.idx) < 0);
  if (loose.length) {
    views.push({
      ordinal: views.length,
      name: subtasks.length ? '(steps outside any subtask)' : e.source === 'policy' ? `(no subtasks: ${e.agent} is a flat agent)` : '(not annotated)',
      provenance: '',
      firstStep: loose[0]!.idx,
      lastStep: loose[loose.length - 1]!.idx,
      reward: loose.reduce((r, st) => r + st.reward, 0),
      ended: e.status === 'running' ? 'running' : 'episode over',
      highCall: null,
      steps: loose,
    });
  }
  const invalid = steps.find((s) => s.invalid);
  const calls = e.modelCalls;
  return {
    episode: e,
    title: `#${e.id} ${e.env} ${e.task}${e.variation !== null ? ` v${e.variation}` : ''} · ${e.agent}`,
    subtasks: views,
    firstInvalidStep: invalid ? invalid.idx : null,
    totals: {
      steps: steps.length,
      invalid: steps.filter((s) => s.invalid).length,
      reward: steps.reduce((r, s) => r + s.reward, 0),
      tokens: calls.reduce((n, c) => n + c.promptTokens + c.completionTokens, 0),
      latencyMs: calls.reduce((n, c) => n + c.latencyMs, 0),
    },
  };
}

/** Whether a step matches a search (action, observation or progress, case-insensitive). */
export function stepMatches(step: StepView, query: string): boolean {
  const q = query.trim().toLowerCase();
  if (!q) return true;
  return [step.action, step.observation, step.progressAfter ?? '', step.progressBefore].some((t) => t.toLowerCase().includes(q));
}
