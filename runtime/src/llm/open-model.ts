/** Opens the model a run asked for (ModelChoice, shared by the CLI and JSON-RPC): the embedded GGUF or a server. */
import type { ModelChoice } from '../protocol/agent';
import type { Logger } from '../util/log';
import { resolveModelPath } from '../util/paths';
import { loadEmbeddedModel } from './embedded';
import { connectOpenAiModel } from './openai';
import { ModelError, type LanguageModel } from './types';

export interface ModelShape {
  /** Sessions open at once (parallel episodes). */
  sessions: number;
  /** Role slots per session (the agent's roles). */
  slotsPerSession: number;
  /** Context per slot when the choice names none. */
  defaultContextSize?: number;
}

export async function openModel(choice: ModelChoice, shape: ModelShape, log?: Logger): Promise<LanguageModel> {
  const contextSize = choice.contextSize ?? shape.defaultContextSize;
  if (choice.endpoint) {
    if (choice.adapter) throw new ModelError('an adapter applies to the embedded model; load adapters on the server instead');
    return connectOpenAiModel({
      baseUrl: choice.endpoint,
      sessions: shape.sessions,
      ...(choice.serverModel ? { model: choice.serverModel } : {}),
      ...(contextSize ? { contextSize } : {}),
      ...(process.env.OPENAI_API_KEY ? { apiKey: process.env.OPENAI_API_KEY } : {}),
    });
  }
  return loadEmbeddedModel({
    modelPath: resolveModelPath(choice.path),
    adapterPath: choice.adapter ?? null,
    adapterMode: choice.adapterMode,
    gpu: choice.gpu === 'cpu' ? false : choice.gpu,
    sessions: shape.sessions,
    slotsPerSession: shape.slotsPerSession,
    prefixReuse: choice.prefixReuse,
    ...(choice.drafts === false ? { drafts: false } : {}),
    ...(choice.threads ? { threads: choice.threads } : {}),
    ...(contextSize ? { contextSize } : {}),
    ...(log ? { log } : {}),
  });
}

/** Baselines keep histories, so they get the model's whole context (up to this); STEP-HRL prompts stay short. */
export const BASELINE_CONTEXT = 16384;
