/**
 * Our own JSONL: one episode per line with everything recorded about it (steps, subtasks, local progress, model
 * calls). Export then import gives back the same episodes exactly; ids, runs and edit history stay behind.
 */
import { z } from 'zod';
import { EpisodeFields, ModelCallRecord, ProgressRecord, StepRecord, SubtaskRecord, type EpisodeDetail } from '../protocol/dataset';
import { segmentationProblem } from '../store/annotations';
import { ImportError, type ImportProblem, type ImportedEpisode } from './types';

export const JSONL_FORMAT = 'stephrl-episode';
export const JSONL_VERSION = 1;

const JsonlEpisode = z.object({
  format: z.literal(JSONL_FORMAT),
  version: z.literal(JSONL_VERSION),
  episode: EpisodeFields,
  steps: z.array(StepRecord),
  subtasks: z.array(SubtaskRecord),
  progress: z.array(ProgressRecord),
  modelCalls: z.array(ModelCallRecord),
});

export function episodeToJsonl(e: EpisodeDetail): string {
  const episode = Object.fromEntries(Object.keys(EpisodeFields.shape).map((k) => [k, e[k as keyof EpisodeDetail]]));
  return JSON.stringify({
    format: JSONL_FORMAT,
    version: JSONL_VERSION,
    episode,
    steps: e.steps,
    subtasks: e.subtasks,
    progress: e.progress,
    modelCalls: e.modelCalls,
  });
}

/** What is inconsistent inside one episode record (beyond its field types), or null. */
function consistencyProblem(record: z.infer<typeof JsonlEpisode>): string | null {
  const n = record.steps.length;
  const misplaced = record.steps.findIndex((s, i) => s.idx !== i);
  if (misplaced >= 0) return `steps must be numbered 0, 1, 2... in order; step ${misplaced} has idx ${record.steps[misplaced]!.idx}`;
  if (record.subtasks.length) {
    const problem = segmentationProblem(record.subtasks, n);
    if (problem) return `its subtasks are not a valid segmentation: ${problem}`;
  }
  const outside = record.progress.find((p) => p.step >= n);
  if (outside) return `local progress for step ${outside.step}, but the episode has ${n} steps`;
  const outsideCall = record.modelCalls.find((c) => c.stepIdx !== null && c.stepIdx >= n);
  if (outsideCall) return `a model call for step ${outsideCall.stepIdx}, but the episode has ${n} steps`;
  return null;
}

/** Parses a whole JSONL text; every bad line is reported (with its number) and then nothing is returned. */
export function parseJsonl(text: string, file: string): ImportedEpisode[] {
  const episodes: ImportedEpisode[] = [];
  const problems: ImportProblem[] = [];
  text.split('\n').forEach((raw, index) => {
    const line = index + 1;
    if (!raw.trim()) return;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (error) {
      problems.push({ file, line, message: `not valid JSON (${(error as Error).message})` });
      return;
    }
    const parsed = JsonlEpisode.safeParse(value);
    if (!parsed.success) {
      for (const issue of parsed.error.issues.slice(0, 3)) {
        problems.push({ file, line, path: issue.path.join('.'), message: issue.message });
      }
      return;
    }
    const problem = consistencyProblem(parsed.data);
    if (problem) {
      problems.push({ file, line, message: problem });
      return;
    }
    const { episode, steps, subtasks, progress, modelCalls } = parsed.data;
    episodes.push({ fields: episode, children: { steps, subtasks, progress, modelCalls } });
  });
  if (problems.length) throw new ImportError(problems);
  return episodes;
}
