/** What a user may name as a trained checkpoint: the exported adapter GGUF, or a training output folder. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { listShippedAdapters } from '../llm/shipped-adapters';

export interface ResolvedCheckpoint {
  adapterGguf: string;
  /** The base model the adapter was trained on, where the training folder says (its config.json). */
  baseModel: string | null;
}

export function resolveCheckpoint(given: string): ResolvedCheckpoint {
  const target = path.resolve(given);
  if (!fs.existsSync(target)) {
    const shipped = listShippedAdapters().find((a) => a.name === given);
    if (shipped) return { adapterGguf: shipped.path, baseModel: null };
    throw new Error(`checkpoint ${target} does not exist (nor is '${given}' a shipped adapter)`);
  }
  if (fs.statSync(target).isFile()) {
    if (!target.endsWith('.gguf')) throw new Error(`checkpoint ${target} is not a GGUF adapter (export it with \`stephrl train\`, which writes adapter.gguf)`);
    return { adapterGguf: target, baseModel: baseModelOf(path.dirname(path.dirname(target))) ?? baseModelOf(path.dirname(target)) };
  }
  for (const candidate of [path.join(target, 'final', 'adapter.gguf'), path.join(target, 'adapter.gguf')]) {
    if (fs.existsSync(candidate)) return { adapterGguf: candidate, baseModel: baseModelOf(target) };
  }
  throw new Error(`${target} holds no adapter.gguf (nor final/adapter.gguf): is the training finished?`);
}

function baseModelOf(trainingDir: string): string | null {
  try {
    const config = JSON.parse(fs.readFileSync(path.join(trainingDir, 'config.json'), 'utf8')) as { model?: unknown };
    return typeof config.model === 'string' && config.model.endsWith('.gguf') ? config.model : null;
  } catch {
    return null;
  }
}
