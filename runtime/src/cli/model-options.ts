/** The options that choose and configure a model, shared by every command that runs one. */
import type { Command } from 'commander';
import type { GpuMode } from '../llm/embedded';
import type { ModelChoice } from '../protocol/agent';
import { parsePositiveInt, UsageError } from './episode-args';
import { ADAPTER_MODES, GPU_CHOICES, listed, type AdapterMode } from '../protocol/vocabulary';

export interface ModelCliOptions {
  model?: string;
  adapter?: string;
  endpoint?: string;
  serverModel?: string;
  gpu: string;
  threads?: string;
  contextSize?: string;
  prefixReuse: boolean;
  drafts: boolean;
  adapterMode: string;
}

export function addModelOptions(command: Command): Command {
  return command
    .option('--model <path>', 'GGUF model file (default: $STEPHRL_MODEL or the model installed by setup)')
    .option(
      '--adapter <path|name>',
      'LoRA adapter GGUF applied to the model (what `stephrl train` exports), or the name of a shipped one (`stephrl models list`)',
    )
    .option('--endpoint <url>', 'use an OpenAI-compatible server (vLLM, llama.cpp server) instead of the embedded model')
    .option('--server-model <id>', "the server's model id (default: its first model)")
    .option('--gpu <mode>', 'auto, cpu, cuda, vulkan or metal', 'auto')
    .option(
      '--threads <n>',
      'CPU threads for the embedded model, in all (default: every core; with --parallel on the CPU each episode gets a context and a share of them)',
    )
    .option('--context-size <n>', 'tokens per prompt slot (default: 4096 for stephrl, the model maximum for the baselines)')
    .option('--no-prefix-reuse', "evaluate every prompt from scratch instead of reusing the role prefix's KV cache")
    .option('--no-drafts', 'decode one token at a time instead of checking drafted tokens (the previous progress) in each decode')
    .option(
      '--adapter-mode <mode>',
      'merged: the adapter merged into a cached Q8_0 copy of the model (faster; made once, seconds); separate: applied beside it as llama.cpp loads it',
      'merged',
    );
}

export function parseAdapterMode(value: string): AdapterMode {
  if ((ADAPTER_MODES as readonly string[]).includes(value)) return value as AdapterMode;
  throw new UsageError(`--adapter-mode must be ${listed(ADAPTER_MODES)}, not '${value}'`);
}

export function parseGpu(value: string): GpuMode {
  if (value === 'cpu') return false;
  if ((GPU_CHOICES as readonly string[]).includes(value)) return value as GpuMode;
  throw new UsageError(`--gpu must be ${listed(GPU_CHOICES)}, not '${value}'`);
}

/** The CLI's model options as the ModelChoice every service takes. */
export function modelChoice(o: ModelCliOptions): ModelChoice {
  const gpu = parseGpu(o.gpu);
  return {
    gpu: gpu === false ? 'cpu' : gpu,
    prefixReuse: o.prefixReuse,
    ...(o.drafts === false ? { drafts: false } : {}),
    adapterMode: parseAdapterMode(o.adapterMode),
    ...(o.model ? { path: o.model } : {}),
    ...(o.adapter ? { adapter: o.adapter } : {}),
    ...(o.endpoint ? { endpoint: o.endpoint } : {}),
    ...(o.serverModel ? { serverModel: o.serverModel } : {}),
    ...(o.threads ? { threads: parsePositiveInt(o.threads, '--threads') } : {}),
    ...(o.contextSize ? { contextSize: parsePositiveInt(o.contextSize, '--context-size') } : {}),
  };
}
