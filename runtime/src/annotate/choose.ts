/** The annotator a job asked for: the rule annotators (no model), or the model annotator with its model opened. */
import type { ModelChoice } from '../protocol/agent';
import { openModel } from '../llm/open-model';
import type { Logger } from '../util/log';
import { MODEL_ANNOTATOR_ROLES, annotateWithModel } from './model-annotator';
import { RULE_ANNOTATOR, RULE_ANNOTATORS, type AnnotatorChoice } from './run';

export async function openAnnotator(
  kind: 'rule' | 'model',
  model: ModelChoice,
  log?: Logger,
): Promise<{ annotator: AnnotatorChoice; close: () => Promise<void> }> {
  if (kind === 'rule') return { annotator: RULE_ANNOTATOR, close: async () => {} };
  const llm = await openModel(model, { sessions: 1, slotsPerSession: MODEL_ANNOTATOR_ROLES.length }, log);
  try {
    const session = await llm.openSession(MODEL_ANNOTATOR_ROLES);
    return {
      annotator: {
        annotate: (e) => annotateWithModel(e, session, RULE_ANNOTATORS[e.env]),
        provenance: 'model',
        actor: `model-annotator:${llm.info.name}`,
      },
      close: () => llm.close(),
    };
  } catch (error) {
    await llm.close();
    throw error;
  }
}
