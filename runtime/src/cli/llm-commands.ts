/** `stephrl llm serve`: the embedded model over the OpenAI-compatible API, for other tools on this machine. */
import type { Command } from 'commander';
import { loadEmbeddedModel } from '../llm/embedded';
import { isLoopbackHost, serveOpenAi } from '../llm/openai-server';
import { stderrLogger } from '../util/log';
import { resolveModelPath } from '../util/paths';
import { parsePositiveInt, UsageError, parseParallel } from './episode-args';
import { parseGpu } from './model-options';
import { closeOnSignals } from './output';

interface ServeOptions {
  model?: string;
  adapter?: string;
  gpu: string;
  port: string;
  host: string;
  threads?: string;
  contextSize?: string;
  parallel: string;
  token?: string;
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be 0..65535, not '${value}'`);
  return port;
}

export function registerLlmCommands(program: Command): void {
  const llm = program.command('llm').description('language models: serve the embedded model to other tools');

  llm
    .command('serve')
    .description('serve a GGUF model on a loopback address with the OpenAI-compatible API (/v1/models, /v1/completions, /tokenize)')
    .option('--model <path>', 'GGUF model file (default: $STEPHRL_MODEL or the model installed by setup)')
    .option(
      '--adapter <path|name>',
      'LoRA adapter GGUF applied to the model (what `stephrl train` exports), or the name of a shipped one (`stephrl models list`)',
    )
    .option('--gpu <mode>', 'auto, cpu, cuda, vulkan or metal', 'auto')
    .option('--port <n>', 'TCP port (0: any free one)', '8088')
    .option('--host <host>', 'loopback address to bind (127.0.0.1, ::1 or localhost)', '127.0.0.1')
    .option(
      '--threads <n>',
      'CPU threads for evaluation, in all (default: every core; several sessions on the CPU each get a context and a share of them)',
    )
    .option('--context-size <n>', "tokens each request may hold, prompt and answer (default 4096, at most the model's training context)")
    .option(
      '--token <token>',
      'require `Authorization: Bearer <token>` on every request, for hosts shared with other users (default: $STEPHRL_LLM_TOKEN, else none)',
    )
    .option(
      '--parallel <n>',
      'requests generated at once, each in its own KV cache; a request goes to the one whose last prompt it shares most with (3 keep the three STEP-HRL roles cached)',
      '3',
    )
    .action(async (opts: ServeOptions) => {
      // Checked before the model loads, which can take a while.
      if (!isLoopbackHost(opts.host)) throw new UsageError(`--host must be a loopback address (127.0.0.1, ::1, localhost), not '${opts.host}'`);
      const port = parsePort(opts.port);
      const parallel = parseParallel(opts.parallel);
      const model = await loadEmbeddedModel({
        modelPath: resolveModelPath(opts.model),
        adapterPath: opts.adapter ?? null,
        gpu: parseGpu(opts.gpu),
        threads: opts.threads === undefined ? undefined : parsePositiveInt(opts.threads, '--threads'),
        contextSize: opts.contextSize === undefined ? undefined : parsePositiveInt(opts.contextSize, '--context-size'),
        sessions: parallel,
        // Each request is one flat prompt: one slot per session is enough, and saves the KV memory of two more.
        slotsPerSession: 1,
        log: stderrLogger('info'),
      });
      let server: Awaited<ReturnType<typeof serveOpenAi>>;
      try {
        const token = opts.token ?? process.env.STEPHRL_LLM_TOKEN;
        server = await serveOpenAi(model, {
          host: opts.host,
          port,
          parallel,
          ...(token ? { token } : {}),
          log: (line) => process.stderr.write(`${line}\n`),
        });
      } catch (error) {
        await model.close();
        throw error;
      }
      closeOnSignals(async () => {
        await server.close();
        await model.close();
      });
      const { name, device, contextSize } = model.info;
      console.log(`serving ${name} (${device}, ${contextSize} tokens of context) at ${server.url}/v1; Ctrl-C stops`);
      await new Promise(() => {}); // served until SIGINT or SIGTERM
    });
}
