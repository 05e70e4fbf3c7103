/** The options that choose and configure a model, shared by every command that runs one. */
import type { Command } from 'commander';
import { loadEmbeddedModel, type GpuMode } from '../llm/embedded';
import { connectOpenAiModel } from '../llm/openai';
import type { LanguageModel } from '../llm/types';
import type { Logger } from '../util/log';
import { resolveModelPath } from '../util/paths';
import { parsePositiveInt, UsageError } from './episode-args';

export interface ModelCliOptions {
  model?: string;
  adapter?: string;
  endpoint?: string;
  serverModel?: string;
  gpu: string;
  threads?: string;
  contextSize?: string;
  prefixReuse: boolean;
}

export function addModelOptions(command: Command): Command {
  return command
    .option('--model <path>', 'GGUF model file (default: $STEPHRL_MODEL or the model installed by setup)')
    .option('--adapter <path>', 'LoRA adapter GGUF applied to the model (what `stephrl train` exports)')
    .option('--endpoint <url>', 'use an OpenAI-compatible server (vLLM, llama.cpp server) instead of the embedded model')
    .option('--server-model <id>', "the server's model id (default: its first model)")
    .option('--gpu <mode>', 'auto, cpu, cuda, vulkan or metal', 'auto')
    .option('--threads <n>', 'CPU threads for the embedded model (default: half the cores)')
    .option('--context-size <n>', 'tokens per prompt slot (default: 4096 for stephrl, the model maximum for the baselines)')
    .option('--no-prefix-reuse', "evaluate every prompt from scratch instead of reusing the role prefix's KV cache");
}

export function parseGpu(value: string): GpuMode {
  if (value === 'cpu') return false;
  if (['auto', 'cuda', 'vulkan', 'metal'].includes(value)) return value as GpuMode;
  throw new UsageError(`--gpu must be auto, cpu, cuda, vulkan or metal, not '${value}'`);
}

/** Loads the embedded model, or connects to the server, with room for `sessions` sessions of `slotsPerSession` roles. */
export async function openModel(
  o: ModelCliOptions,
  shape: { sessions: number; slotsPerSession: number; defaultContextSize?: number },
  log?: Logger,
): Promise<LanguageModel> {
  const contextSize = o.contextSize ? parsePositiveInt(o.contextSize, '--context-size') : shape.defaultContextSize;
  if (o.endpoint) {
    if (o.adapter) throw new UsageError('--adapter applies to the embedded model; load adapters on the server instead');
    return connectOpenAiModel({
      baseUrl: o.endpoint,
      sessions: shape.sessions,
      ...(o.serverModel ? { model: o.serverModel } : {}),
      ...(contextSize ? { contextSize } : {}),
      ...(process.env.OPENAI_API_KEY ? { apiKey: process.env.OPENAI_API_KEY } : {}),
    });
  }
  return loadEmbeddedModel({
    modelPath: resolveModelPath(o.model),
    adapterPath: o.adapter ?? null,
    gpu: parseGpu(o.gpu),
    sessions: shape.sessions,
    slotsPerSession: shape.slotsPerSession,
    prefixReuse: o.prefixReuse,
    ...(o.threads ? { threads: parsePositiveInt(o.threads, '--threads') } : {}),
    ...(contextSize ? { contextSize } : {}),
    ...(log ? { log } : {}),
  });
}
