/**
 * The model annotator: the local model refines the rule annotator's draft (STEP-HRL.md, "Where this project goes
 * further"). The rule segmentation is kept, so the segments always cover the actions exactly; the model names the
 * subtasks (one call per episode, its answer held to a JSON array of exactly that many strings by a grammar) and
 * writes the local progress after every step with the STEP-HRL progress prompt, the same one the agent uses.
 */
import { NONE, actionResultText, parseProgress, progressPrompt, subtaskNamesPrompt } from '../agent/prompts';
import { gbnfLiteral } from '../llm/grammar';
import type { ModelSession } from '../llm/types';
import type { AnnotatableEpisode, AnnotationDraft, Annotator } from './types';
import { MAX_PROGRESS_CHARS } from './types';

/** The roles a model-annotator session uses. */
export const MODEL_ANNOTATOR_ROLES = ['annotator', 'progress'] as const;

/** A JSON array of exactly `count` short strings (no quotes, backslashes or line breaks inside). */
export function namesGrammar(count: number): string {
  const items = Array.from({ length: count }, () => 'name').join(' ", " ');
  return [`root ::= "[" ${items} "]"`, `name ::= ${gbnfLiteral('"')} char char* ${gbnfLiteral('"')}`, 'char ::= [^"\\\\\\x00-\\x1f]', ''].join('\n');
}

/** The names from the model's answer, or null when it is not the JSON array asked for. */
export function parseNames(text: string, count: number): string[] | null {
  try {
    const parsed: unknown = JSON.parse(text.trim());
    if (!Array.isArray(parsed) || parsed.length !== count || !parsed.every((n) => typeof n === 'string')) return null;
    return parsed.map((n: string) => n.trim());
  } catch {
    return null;
  }
}

export async function annotateWithModel(episode: AnnotatableEpisode, session: ModelSession, ruleAnnotator: Annotator): Promise<AnnotationDraft> {
  const draft = ruleAnnotator(episode);
  const { env } = episode;

  const segments = draft.subtasks.map((s) => ({ ruleName: s.name, actions: episode.steps.slice(s.firstStep, s.lastStep + 1).map((x) => x.action) }));
  const prompt = subtaskNamesPrompt({ env, taskDescription: episode.taskDescription, segments });
  const answer = await session.generate({
    role: 'annotator',
    prefix: prompt.prefix,
    state: prompt.state,
    maxTokens: 24 * segments.length + 8,
    temperature: 0,
    stop: [],
    grammar: namesGrammar(segments.length),
  });
  // A name the model left blank keeps the rule's.
  const names = parseNames(answer.text, segments.length);
  const subtasks = draft.subtasks.map((s, k) => ({ ...s, name: names?.[k] || s.name }));

  const progress: string[] = [];
  for (const subtask of subtasks) {
    let previous = NONE;
    for (let t = subtask.firstStep; t <= subtask.lastStep; t++) {
      const step = episode.steps[t]!;
      const before = t === 0 ? { look: episode.initialLook ?? null, inventory: episode.initialInventory ?? null } : episode.steps[t - 1]!;
      const p = progressPrompt({
        env,
        subtask: subtask.name,
        previousProgress: previous,
        action: step.action,
        observation: actionResultText(env, step, before),
      });
      const update = await session.generate({ role: 'progress', prefix: p.prefix, state: p.state, maxTokens: 160, temperature: 0, stop: ['\n'] });
      previous = parseProgress(update.text, previous).slice(0, MAX_PROGRESS_CHARS);
      progress[t] = previous;
    }
  }
  return { subtasks, progress };
}
