/** What a user may name as a trained checkpoint: the exported adapter GGUF, or a training output folder. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { listShippedAdapters } from '../llm/shipped-adapters';

export interface ResolvedCheckpoint {
  adapterGguf: string;
  /** The base model the adapter was trained on, where the training folder says (its config.json). */
  baseModel: string | null;
  /** The dataset and transition set it was trained on, where the training folder says. */
  trainedOn: { db: string; setId: number } | null;
}

export function resolveCheckpoint(given: string): ResolvedCheckpoint {
  const target = path.resolve(given);
  if (!fs.existsSync(target)) {
    const shipped = listShippedAdapters().find((a) => a.name === given);
    if (shipped) return { adapterGguf: shipped.path, baseModel: null, trainedOn: null };
    throw new Error(`checkpoint ${target} does not exist (nor is '${given}' a shipped adapter)`);
  }
  if (fs.statSync(target).isFile()) {
    if (!target.endsWith('.gguf'))
      throw new Error(`checkpoint ${target} is not a GGUF adapter (export it with \`stephrl train\`, which writes adapter.gguf)`);
    const config = trainingConfig(path.dirname(path.dirname(target))) ?? trainingConfig(path.dirname(target));
    return { adapterGguf: target, baseModel: baseModelOf(config), trainedOn: trainedOnOf(config) };
  }
  for (const candidate of [path.join(target, 'final', 'adapter.gguf'), path.join(target, 'adapter.gguf')]) {
    if (fs.existsSync(candidate)) {
      const config = trainingConfig(target);
      return { adapterGguf: candidate, baseModel: baseModelOf(config), trainedOn: trainedOnOf(config) };
    }
  }
  throw new Error(`${target} holds no adapter.gguf (nor final/adapter.gguf): is the training finished?`);
}

/** A training output folder's config.json (what `stephrl_train` writes there), or null. */
function trainingConfig(trainingDir: string): Record<string, unknown> | null {
  try {
    const config = JSON.parse(fs.readFileSync(path.join(trainingDir, 'config.json'), 'utf8')) as unknown;
    return config && typeof config === 'object' ? (config as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

const baseModelOf = (config: Record<string, unknown> | null): string | null =>
  typeof config?.model === 'string' && config.model.endsWith('.gguf') ? config.model : null;

const trainedOnOf = (config: Record<string, unknown> | null): ResolvedCheckpoint['trainedOn'] =>
  typeof config?.db === 'string' && Number.isInteger(config.set_id) ? { db: config.db, setId: config.set_id as number } : null;
