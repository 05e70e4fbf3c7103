/**
 * The language-model interface every agent, the annotator and the benchmarks use. Two backends implement it: the
 * embedded llama.cpp (node-llama-cpp, in this process) and an OpenAI-compatible HTTP server (vLLM, llama.cpp server).
 *
 * A session is one stream of decisions (one episode at a time). It keeps one KV-cache slot per role, so the fixed
 * role prefix of a step-level prompt is evaluated once and reused by every later decision of that role.
 */
import type { AdapterMode, ModelRole } from '../protocol/vocabulary';
import { ErrorCodes, StudioError } from '../protocol/errors';

export interface GenerateRequest {
  role: ModelRole;
  /** The fixed part of the prompt (the same for every decision of a role). */
  prefix: string;
  /** The variable part: the decision's state. */
  state: string;
  maxTokens: number;
  /** 0 is greedy decoding. */
  temperature: number;
  /** Generation ends before the first of these strings that appears after some non-blank text. */
  stop: readonly string[];
  /** A GBNF grammar the completion must follow (constrained decoding), or undefined for free text. */
  grammar?: string;
  /** Text the answer is expected to repeat, written as the answer would write it (the progress role's previous
   * progress): a backend may draft tokens from it (speculative decoding); the answer stays the model's own. */
  draft?: string;
  seed?: number;
  signal?: AbortSignal;
}

export type FinishReason = 'stop' | 'eos' | 'length';

export interface Generation {
  text: string;
  /** Prompt tokens, counted with the model's own tokenizer. */
  promptTokens: number;
  /** Prompt tokens served from the KV cache instead of being evaluated. */
  cachedPromptTokens: number;
  completionTokens: number;
  /** Answer tokens taken from the request's draft, checked in batches (embedded backend, greedy); absent: none drafted. */
  draftTokensAccepted?: number;
  latencyMs: number;
  finish: FinishReason;
}

export type Backend = 'embedded' | 'openai';

export interface ModelInfo {
  backend: Backend;
  /** What episodes record as their model: the GGUF file name, or the server's model id. */
  name: string;
  /** GGUF path (embedded) or base URL (openai). */
  location: string;
  adapter: string | null;
  /** How the adapter is applied (null without one); a server applies its own. */
  adapterMode: AdapterMode | null;
  /** cpu, cuda, vulkan, metal; "remote" for a server. */
  device: string;
  /** Tokens one session's role slot can hold. */
  contextSize: number;
  /** Embedded backend: greedy answers with a draft are decoded with drafted tokens checked per decode (a run's
   * settings record it; the answers are the plain ones up to rounding). */
  drafts?: boolean;
  /** Embedded backend: CPU threads in all, and how parallel sessions share the model (a run's settings record both:
   * they change how decodes round, so runs compare exactly only with the same ones). */
  threads?: number;
  parallelLayout?: ParallelLayout;
}

/** Parallel sessions of the embedded model: sequences of one batched context, or a context (and threads) each. */
export type ParallelLayout = 'batched' | 'contexts';

export interface ModelSession {
  generate(request: GenerateRequest): Promise<Generation>;
  /** Returns the session's slots to the model. */
  close(): Promise<void>;
}

export interface LanguageModel {
  readonly info: ModelInfo;
  /** A session with slots for the given roles; at most `sessions` (see the backend's options) open at once. */
  openSession(roles: readonly ModelRole[]): Promise<ModelSession>;
  countTokens(text: string): Promise<number>;
  close(): Promise<void>;
}

/** A model that cannot be used: a missing or corrupt file, an adapter that does not fit, a server that fails. */
export class ModelError extends StudioError {
  constructor(message: string) {
    super(message, ErrorCodes.ModelError);
    this.name = 'ModelError';
  }
}

/** A prompt and its answer longer than the context a slot holds. */
export class ContextOverflowError extends ModelError {
  constructor(
    readonly promptTokens: number,
    readonly contextSize: number,
    role: ModelRole,
    readonly maxTokens = 0,
  ) {
    super(
      maxTokens >= contextSize
        ? `the ${role} request asks for up to ${maxTokens} answer tokens, but the context holds ${contextSize} in all: ask for fewer`
        : `the ${role} prompt has ${promptTokens} tokens and may need ${maxTokens} more for the answer, but the context holds ${contextSize}: ` +
            'raise --context-size or use a model with a longer context',
    );
    this.name = 'ContextOverflowError';
  }
}

/** A grammar nested deeper than llama.cpp's recursive parser survives (see grammar.ts). */
export class GrammarTooDeepError extends ModelError {
  constructor(depth: number, limit: number) {
    super(`the grammar nests ${depth} levels deep; at most ${limit} are accepted`);
    this.name = 'GrammarTooDeepError';
  }
}
