/**
 * The embedded backend: llama.cpp through node-llama-cpp, in the runtime process (never the extension host).
 *
 * One loaded model. A session leases one sequence per role it uses; every decision keeps the tokens its sequence
 * already holds up to the first token that differs and evaluates only the rest, so a role's fixed prefix is evaluated
 * once and then served from the KV cache. Parallel sessions (episodes) share the model's weights in one of two
 * layouts: on a GPU one context with `sessions × slotsPerSession` sequences, whose concurrent evaluations
 * node-llama-cpp batches into one decode; on the CPU one context per session with its share of the threads, decoding
 * side by side (on 2 cores two one-thread contexts made 1.5x the calls per second of one two-thread context, which
 * batching made slower still: a small model's one-token decodes do not scale across threads, see README).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type * as NodeLlamaCpp from 'node-llama-cpp';
import type { AdapterMode, ModelRole } from '../protocol/vocabulary';
import type { Logger } from '../util/log';
import { silentLogger } from '../util/log';
import {
  ContextOverflowError,
  GrammarTooDeepError,
  ModelError,
  type FinishReason,
  type GenerateRequest,
  type Generation,
  type LanguageModel,
  type ModelInfo,
  type ModelSession,
  type ParallelLayout,
} from './types';
import { GpuUnusableError, usableGpu, type GpuChoice } from './gpu-probe';
import { resolveAdapter } from './shipped-adapters';
import { mergedModelPath } from './merged-adapter';
import { grammarNestingDepth, MAX_GRAMMAR_NESTING } from './grammar';
import { DraftAligner } from './draft-aligner';

type Nlc = typeof NodeLlamaCpp;
type Sequence = NodeLlamaCpp.LlamaContextSequence;
type Token = NodeLlamaCpp.Token;

export type GpuMode = 'auto' | 'cuda' | 'vulkan' | 'metal' | false;
/** Parallel sessions on a GPU share one batched context; on the CPU each gets a context (see the header). */
export const defaultParallelLayout = (device: string): ParallelLayout => (device === 'cpu' ? 'contexts' : 'batched');

export interface EmbeddedModelOptions {
  modelPath: string;
  /** A LoRA adapter GGUF (what the trainer exports) applied on top of the base model. */
  adapterPath?: string | null;
  /** 'merged': load a cached copy of the model with the adapter merged in (merged-adapter.ts); default 'separate'. */
  adapterMode?: AdapterMode;
  gpu?: GpuMode;
  /** CPU threads for evaluation, in all (split between the contexts of parallel sessions on the CPU); default:
   * defaultThreads(sessions, layout). */
  threads?: number;
  /** Tokens each role slot holds (prompt + answer); default 4096, at most the model's training context. */
  contextSize?: number;
  /** Sessions open at once (parallel episodes); default 1. */
  sessions?: number;
  /** How parallel sessions share the model: 'batched' (one context, one decode for all; the GPU default) or
   * 'contexts' (a context and threads per session; the CPU default). */
  parallelLayout?: ParallelLayout;
  /** Role slots per session: 3 for STEP-HRL (high, low, progress); default 3. */
  slotsPerSession?: number;
  /** Keep the common token prefix between decisions (default). Off: evaluate every prompt from scratch. */
  prefixReuse?: boolean;
  /** Speculative decoding from a request's draft text (default; draft-aligner.ts). Off: one token per decode. */
  drafts?: boolean;
  batchSize?: number;
  log?: Logger;
}

// node-llama-cpp is an ES module and the runtime bundle is CommonJS: load it with a dynamic import (kept as is by
// esbuild), once per process.
let nlcModule: Promise<Nlc> | undefined;
const loadNlc = (): Promise<Nlc> => (nlcModule ??= import('node-llama-cpp'));

/** llama.cpp's own log lines, kept so that a failure can say why ("Failed to load model" alone never does). */
class LlamaLogTail {
  private readonly lines: Array<{ n: number; line: string }> = [];
  total = 0;
  constructor(private readonly log: Logger) {}

  record(level: string, message: string): void {
    const line = message.trim();
    if (!line) return;
    this.lines.push({ n: ++this.total, line });
    if (this.lines.length > 40) this.lines.shift();
    this.log(level === 'error' || level === 'fatal' ? 'warn' : 'debug', `llama.cpp: ${line}`);
  }

  /** The lines logged after `mark` (a value of `total`). */
  since(mark: number): string {
    return this.lines
      .filter((l) => l.n > mark)
      .map((l) => l.line)
      .join(' | ');
  }
}

interface LlamaHandle {
  llama: NodeLlamaCpp.Llama;
  tail: LlamaLogTail;
}
const llamas = new Map<string, Promise<LlamaHandle>>();

async function getLlamaHandle(gpu: GpuChoice, log: Logger): Promise<LlamaHandle> {
  const key = JSON.stringify(gpu);
  let handle = llamas.get(key);
  if (!handle) {
    handle = (async () => {
      const nlc = await loadNlc();
      const tail = new LlamaLogTail(log);
      // build 'never': use the prebuilt binaries that npm installed; never compile or download at run time.
      const llama = await nlc.getLlama({
        gpu,
        build: 'never',
        logLevel: nlc.LlamaLogLevel.warn,
        logger: (level, message) => tail.record(level, message),
      });
      return { llama, tail };
    })();
    llamas.set(key, handle);
    handle.catch(() => llamas.delete(key));
  }
  return handle;
}

/** The GPU setting whose backend survived a test decode in a child process (see gpu-probe.ts). */
async function safeGpu(gpu: GpuMode, modelPath: string, log: Logger): Promise<GpuChoice> {
  try {
    const { gpu: choice, note } = await usableGpu(gpu, modelPath);
    if (note) log('warn', note);
    return choice;
  } catch (error) {
    if (error instanceof GpuUnusableError) throw new ModelError(error.message);
    throw error;
  }
}

function checkGgufFile(file: string, what: string): void {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ModelError(`${what} ${file} ${code === 'ENOENT' ? 'does not exist' : `cannot be read (${code})`}`);
  }
  try {
    const header = Buffer.alloc(8);
    const n = fs.readSync(fd, header, 0, 8, 0);
    if (n < 8 || header.toString('latin1', 0, 4) !== 'GGUF') {
      throw new ModelError(`${what} ${file} is not a GGUF file (it does not start with "GGUF"): convert it to GGUF first`);
    }
    const version = header.readUInt32LE(4);
    if (version < 2 || version > 3) {
      throw new ModelError(`${what} ${file} is corrupt or of an unknown GGUF version (${version}; llama.cpp reads 2 and 3)`);
    }
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Every core, in all. Batched parallel sessions get half of them (their environments step while the model runs), but
 * never fewer than two: on 2 cores, 2 parallel ALFWorld episodes in one context with 1 thread made 0.38 model calls/s
 * against 0.53 with 2 (and 0.57 for one episode with 2), the environment's steps being short beside the model's.
 */
export const defaultThreads = (sessions = 1, layout: ParallelLayout = 'batched'): number => {
  const cores = os.availableParallelism();
  return sessions > 1 && layout === 'batched' ? Math.min(cores, Math.max(2, Math.floor(cores / 2))) : cores;
};
const DEFAULT_CONTEXT = 4096;

export async function loadEmbeddedModel(options: EmbeddedModelOptions): Promise<LanguageModel> {
  const log = options.log ?? silentLogger;
  const modelPath = path.resolve(options.modelPath);
  checkGgufFile(modelPath, 'the model');
  const adapter = options.adapterPath ? resolveAdapter(options.adapterPath) : null;
  const adapterPath = adapter?.path ?? null;
  if (adapterPath) checkGgufFile(adapterPath, 'the adapter');
  if (adapter?.shipped && adapter.shipped.baseModel !== path.basename(modelPath)) {
    log(
      'warn',
      `the shipped adapter '${adapter.shipped.name}' was trained on ${adapter.shipped.baseModel}, not ${path.basename(modelPath)}: expect nonsense`,
    );
  }

  const merged = adapterPath && options.adapterMode === 'merged' ? await mergedModelPath(modelPath, adapterPath, { log }) : null;
  const { llama, tail } = await getLlamaHandle(await safeGpu(options.gpu ?? 'auto', modelPath, log), log);
  let mark = tail.total;
  let model: NodeLlamaCpp.LlamaModel;
  try {
    model = await llama.loadModel({ modelPath: merged ?? modelPath });
  } catch (error) {
    await logsSettled();
    throw new ModelError(`could not load the model ${merged ?? modelPath}: ${reason(error, tail.since(mark))}`);
  }
  const sessions = Math.max(1, options.sessions ?? 1);
  const slotsPerSession = Math.max(1, options.slotsPerSession ?? 3);
  const contextSize = Math.min(options.contextSize ?? DEFAULT_CONTEXT, model.trainContextSize);
  const layout = sessions === 1 ? 'batched' : (options.parallelLayout ?? defaultParallelLayout(llama.gpu || 'cpu'));
  const threads = options.threads ?? defaultThreads(sessions, layout);
  const contextCount = layout === 'contexts' ? sessions : 1;
  mark = tail.total;
  const contexts: NodeLlamaCpp.LlamaContext[] = [];
  try {
    for (let i = 0; i < contextCount; i++) {
      contexts.push(
        await model.createContext({
          contextSize,
          sequences: (sessions / contextCount) * slotsPerSession,
          threads: Math.max(1, Math.floor(threads / contextCount)),
          ...(options.batchSize ? { batchSize: options.batchSize } : {}),
          ...(adapterPath && !merged ? { lora: { adapters: [{ filePath: adapterPath }] } } : {}),
        }),
      );
    }
  } catch (error) {
    await Promise.all([...contexts.map((c) => c.dispose()), logsSettled()]);
    await model.dispose();
    const what = adapterPath ? `the adapter ${adapterPath} with the model ${modelPath}` : `a context for ${modelPath}`;
    throw new ModelError(`could not set up ${what}: ${reason(error, tail.since(mark))}`);
  }
  return new EmbeddedModel(
    llama,
    model,
    contexts.map((context) => new SlotPool(context)),
    {
      backend: 'embedded',
      name: path.basename(modelPath),
      location: modelPath,
      adapter: adapterPath,
      adapterMode: adapterPath ? (merged ? 'merged' : 'separate') : null,
      device: llama.gpu || 'cpu',
      contextSize: contexts[0]!.contextSize,
      drafts: options.drafts ?? true,
      threads,
      parallelLayout: layout,
    },
    options.prefixReuse ?? true,
  );
}

/** Only the tokenizer of a GGUF (no weights in memory): token counts for replays and benchmarks. */
export async function loadTokenizer(modelPath: string): Promise<{ count(text: string): number; close(): Promise<void> }> {
  checkGgufFile(path.resolve(modelPath), 'the model');
  const { llama, tail } = await getLlamaHandle(false, silentLogger);
  const mark = tail.total;
  let model: NodeLlamaCpp.LlamaModel;
  try {
    model = await llama.loadModel({ modelPath: path.resolve(modelPath), vocabOnly: true });
  } catch (error) {
    await logsSettled();
    throw new ModelError(`could not load the tokenizer of ${modelPath}: ${reason(error, tail.since(mark))}`);
  }
  const bos = model.tokens.shouldPrependBosToken && model.tokens.bos !== null ? 1 : 0;
  return { count: (text) => bos + model.tokenize(text).length, close: () => model.dispose() };
}

/** llama.cpp's log lines reach JavaScript a moment after the call that failed: give them that moment. */
const logsSettled = () => new Promise((resolve) => setTimeout(resolve, 100));

function reason(error: unknown, llamaLog: string): string {
  const message = error instanceof Error ? error.message : String(error);
  return llamaLog ? `${message} (llama.cpp: ${llamaLog})` : message;
}

/** A sequence with the role it last served: a session prefers a slot whose cache already holds its role's prefix. */
interface Slot {
  sequence: Sequence;
  role: ModelRole | null;
  pool: SlotPool;
}

/** One context's sequences: those free, how many were made, how many are leased. */
class SlotPool {
  readonly free: Slot[] = [];
  created = 0;
  leased = 0;
  constructor(readonly context: NodeLlamaCpp.LlamaContext) {}

  /** A free slot, preferring one that last served this role (its prefix is cached), then an unused one; null if none. */
  take(role: ModelRole): Slot | null {
    let index = this.free.findIndex((s) => s.role === role);
    if (index < 0) index = this.free.findIndex((s) => s.role === null);
    if (index < 0 && this.free.length) index = 0;
    if (index >= 0) return this.free.splice(index, 1)[0]!;
    if (this.created >= this.context.totalSequences) return null;
    this.created++;
    return { sequence: this.context.getSequence(), role: null, pool: this };
  }
}

class EmbeddedModel implements LanguageModel {
  private readonly waiting: Array<() => void> = [];
  private readonly grammars = new Map<string, Promise<NodeLlamaCpp.LlamaGrammar>>();
  private closed = false;

  constructor(
    private readonly llama: NodeLlamaCpp.Llama,
    private readonly model: NodeLlamaCpp.LlamaModel,
    private readonly pools: SlotPool[],
    readonly info: ModelInfo,
    private readonly prefixReuse: boolean,
  ) {}

  async countTokens(text: string): Promise<number> {
    return this.tokenize(text).length;
  }

  tokenize(text: string): Token[] {
    const tokens = this.model.tokenize(text);
    const bos = this.model.tokens.bos;
    return this.model.tokens.shouldPrependBosToken && bos !== null ? [bos, ...tokens] : tokens;
  }

  async openSession(roles: readonly ModelRole[]): Promise<ModelSession> {
    const unique = [...new Set(roles)];
    const capacity = this.pools[0]!.context.totalSequences;
    if (unique.length > capacity) {
      throw new ModelError(`a session needs ${unique.length} slots but the context has ${capacity}`);
    }
    // The least used context: with a context per session, each open session decodes in its own.
    const pool = this.pools.reduce((best, p) => (p.leased < best.leased ? p : best));
    pool.leased += unique.length;
    const slots = new Map<ModelRole, Slot>();
    try {
      for (const role of unique) slots.set(role, await this.lease(pool, role));
    } catch (error) {
      pool.leased -= unique.length - slots.size;
      this.release(slots.values());
      throw error;
    }
    return new EmbeddedSession(this, slots);
  }

  private async lease(pool: SlotPool, role: ModelRole): Promise<Slot> {
    for (;;) {
      if (this.closed) throw new ModelError('the model is closed');
      const slot = pool.take(role);
      if (slot) return slot;
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
  }

  release(slots: Iterable<Slot>): void {
    for (const slot of slots) {
      slot.pool.free.push(slot);
      slot.pool.leased--;
    }
    for (const wake of this.waiting.splice(0)) wake();
  }

  grammar(text: string): Promise<NodeLlamaCpp.LlamaGrammar> {
    let grammar = this.grammars.get(text);
    if (!grammar) {
      const depth = grammarNestingDepth(text);
      if (depth > MAX_GRAMMAR_NESTING) return Promise.reject(new GrammarTooDeepError(depth, MAX_GRAMMAR_NESTING));
      grammar = this.llama.createGrammar({ grammar: text });
      grammar.catch(() => this.grammars.delete(text));
      // Per-step action grammars differ every step: keep only the recent ones.
      if (this.grammars.size >= 16) this.grammars.delete(this.grammars.keys().next().value!);
      this.grammars.set(text, grammar);
    }
    return grammar;
  }

  async generate(slot: Slot, request: GenerateRequest): Promise<Generation> {
    const started = performance.now();
    const { sequence } = slot;
    slot.role = request.role;
    const prompt = this.tokenize(request.prefix + request.state);
    if (prompt.length + request.maxTokens > sequence.contextSize) {
      throw new ContextOverflowError(prompt.length, sequence.contextSize, request.role, request.maxTokens);
    }
    // Keep what the sequence already holds up to the first differing token; the last prompt token is always
    // evaluated again, since its logits are what the first answer token is sampled from.
    let keep = this.prefixReuse ? sequence.compareContextTokens(prompt).firstDifferentIndex : 0;
    keep = Math.min(keep, prompt.length - 1);
    if (keep < sequence.nextTokenIndex) {
      await sequence.eraseContextTokenRanges([{ start: keep, end: sequence.nextTokenIndex }]);
    }
    const answer = new AnswerText(this.model, request);
    const drafted = this.info.drafts && request.draft && !request.grammar && request.temperature === 0 ? { accepted: 0 } : null;
    const tokens = drafted
      ? this.draftedTokens(sequence, prompt.slice(keep), this.model.tokenize(request.draft!), request.maxTokens, drafted)
      : await this.sampledTokens(sequence, prompt.slice(keep), request);
    for await (const token of tokens) {
      if (request.signal?.aborted) throw request.signal.reason ?? new Error('generation was cancelled');
      if (answer.add(token)) break;
    }
    return {
      text: answer.text,
      promptTokens: prompt.length,
      cachedPromptTokens: keep,
      completionTokens: answer.tokens.length,
      ...(drafted ? { draftTokensAccepted: Math.min(drafted.accepted, answer.tokens.length) } : {}),
      latencyMs: performance.now() - started,
      finish: answer.finish,
    };
  }

  /** One token per decode, sampled by node-llama-cpp (with the grammar, if any); ends by itself at end of generation. */
  private async sampledTokens(sequence: Sequence, input: Token[], request: GenerateRequest): Promise<AsyncIterable<Token>> {
    const nlc = await loadNlc();
    const grammarEvaluationState = request.grammar
      ? new nlc.LlamaGrammarEvaluationState({ model: this.model, grammar: await this.grammar(request.grammar) })
      : undefined;
    return sequence.evaluate(input, {
      temperature: request.temperature,
      ...(request.seed !== undefined ? { seed: request.seed } : {}),
      ...(grammarEvaluationState ? { grammarEvaluationState } : {}),
    });
  }

  /**
   * Greedy decoding with drafted tokens checked in the same decode (speculative decoding, draft-aligner.ts): each
   * decode evaluates the pending tokens and a draft, keeps the drafted tokens the model's own greedy choice agrees
   * with, and adds the model's token after them; the refuted rest is erased from the KV cache. The answer is the one
   * plain greedy decoding gives, up to the rounding of batched matrix products. (node-llama-cpp's own token
   * predictors accept at most one drafted token per decode in 3.21.1, so the checking is done here.)
   */
  private async *draftedTokens(
    sequence: Sequence,
    input: Token[],
    draft: Token[],
    maxTokens: number,
    count: { accepted: number },
  ): AsyncGenerator<Token> {
    const aligner = new DraftAligner(draft);
    const produced: Token[] = [];
    const greedy = { generateNext: { token: true, options: { temperature: 0 } } } as const;
    let pending = input;
    while (produced.length < maxTokens) {
      // Never draft past the answer's budget: the prompt check above keeps prompt + maxTokens inside the context.
      const guess = aligner.next(produced).slice(0, Math.max(0, maxTokens - produced.length - 1));
      const items: NodeLlamaCpp.ControlledEvaluateInputItem[] = [
        ...pending.slice(0, -1),
        [pending.at(-1)!, greedy],
        ...guess.map((token): NodeLlamaCpp.ControlledEvaluateInputItem => [token, greedy]),
      ];
      const results = await sequence.controlledEvaluate(items);
      const chosen = (index: number): Token => {
        const token = results[index]?.next.token;
        if (token == null) throw new ModelError('llama.cpp returned no token for a decoded position');
        return token;
      };
      let next = chosen(pending.length - 1);
      let accepted = 0;
      const fresh: Token[] = [];
      while (accepted < guess.length && guess[accepted] === next && !this.model.isEogToken(next)) {
        fresh.push(next);
        next = chosen(pending.length + accepted);
        accepted++;
      }
      count.accepted += accepted;
      if (accepted < guess.length) {
        const end = sequence.nextTokenIndex;
        await sequence.eraseContextTokenRanges([{ start: end - (guess.length - accepted), end }]);
      }
      fresh.push(next);
      for (const token of fresh) {
        if (this.model.isEogToken(token)) return;
        produced.push(token);
        yield token;
      }
      pending = [next];
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const wake of this.waiting.splice(0)) wake();
    for (const pool of this.pools) await pool.context.dispose();
    await this.model.dispose();
  }
}

class EmbeddedSession implements ModelSession {
  private closed = false;
  constructor(
    private readonly owner: EmbeddedModel,
    private readonly slots: Map<ModelRole, Slot>,
  ) {}

  generate(request: GenerateRequest): Promise<Generation> {
    const slot = this.slots.get(request.role);
    if (this.closed) return Promise.reject(new ModelError('the model session is closed'));
    if (!slot) return Promise.reject(new ModelError(`this session has no slot for the ${request.role} role`));
    return this.owner.generate(slot, request);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.owner.release(this.slots.values());
  }
}

/** Where the answer ends: the first stop string found after the first non-blank character, or -1. */
export function stopIndex(text: string, stops: readonly string[]): number {
  const start = text.search(/\S/);
  if (start < 0) return -1;
  let cut = -1;
  for (const stop of stops) {
    const at = text.indexOf(stop, start);
    if (at >= 0 && (cut < 0 || at < cut)) cut = at;
  }
  return cut;
}

/**
 * The greedy next token at every position of each token sequence (teacher forcing), from llama.cpp with an optional
 * LoRA adapter: the llama.cpp side of the trainer's export parity check (train/export-parity.ts).
 */
export async function greedyNextTokens(
  options: { modelPath: string; adapterPath?: string; threads?: number; gpu?: GpuMode },
  sequences: ReadonlyArray<readonly number[]>,
): Promise<number[][]> {
  const modelPath = path.resolve(options.modelPath);
  checkGgufFile(modelPath, 'the model');
  if (options.adapterPath) checkGgufFile(options.adapterPath, 'the adapter');
  const { llama, tail } = await getLlamaHandle(await safeGpu(options.gpu ?? false, modelPath, silentLogger), silentLogger);
  const mark = tail.total;
  const model = await llama.loadModel({ modelPath }).catch(async (error) => {
    await logsSettled();
    throw new ModelError(`could not load the model ${modelPath}: ${reason(error, tail.since(mark))}`);
  });
  try {
    const longest = Math.max(...sequences.map((s) => s.length));
    const context = await model
      .createContext({
        contextSize: Math.min(model.trainContextSize, Math.max(256, longest + 8)),
        threads: options.threads ?? defaultThreads(),
        ...(options.adapterPath ? { lora: { adapters: [{ filePath: path.resolve(options.adapterPath) }] } } : {}),
      })
      .catch(async (error) => {
        await logsSettled();
        throw new ModelError(`could not set up the adapter ${options.adapterPath}: ${reason(error, tail.since(mark))}`);
      });
    try {
      const sequence = context.getSequence();
      const out: number[][] = [];
      for (const tokens of sequences) {
        await sequence.clearHistory();
        const results = await sequence.controlledEvaluate(
          tokens.map((t) => [t as NodeLlamaCpp.Token, { generateNext: { token: true, options: { temperature: 0 } } }] as const),
        );
        out.push(results.map((r) => (r?.next?.token ?? -1) as number));
      }
      return out;
    } finally {
      await context.dispose();
    }
  } finally {
    await model.dispose();
  }
}

/**
 * The device the embedded model runs on with `gpu: 'auto'`: CUDA, Vulkan or Metal with the GPU's name, else CPU;
 * `note` says which backend was passed over because it crashed its test decode with `modelPath`.
 */
export async function detectDevice(modelPath: string): Promise<{ backend: 'cuda' | 'vulkan' | 'metal' | 'cpu'; name: string; note: string | null }> {
  const { gpu, note } = await usableGpu('auto', modelPath);
  const { llama } = await getLlamaHandle(gpu, silentLogger);
  if (!llama.gpu) return { backend: 'cpu', name: `CPU (${os.availableParallelism()} threads)`, note };
  const names = await llama.getGpuDeviceNames().catch(() => [] as string[]);
  return { backend: llama.gpu, name: `${llama.gpu.toUpperCase()}${names.length ? ` (${names.join(', ')})` : ''}`, note };
}

/** The answer as its tokens arrive: text, stop strings and the token budget, whichever way the tokens were decoded. */
class AnswerText {
  readonly tokens: Token[] = [];
  text = '';
  finish: FinishReason = 'eos'; // decoding ends by itself only at an end-of-generation token

  constructor(
    private readonly model: NodeLlamaCpp.LlamaModel,
    private readonly request: Pick<GenerateRequest, 'stop' | 'maxTokens'>,
  ) {}

  /** Adds a token; true when the answer is complete (a stop string, or the budget spent). */
  add(token: Token): boolean {
    this.tokens.push(token);
    this.text = this.model.detokenize(this.tokens);
    const cut = stopIndex(this.text, this.request.stop);
    if (cut >= 0) {
      this.text = this.text.slice(0, cut);
      this.finish = 'stop';
      return true;
    }
    if (this.tokens.length >= this.request.maxTokens) {
      this.finish = 'length';
      return true;
    }
    return false;
  }
}
