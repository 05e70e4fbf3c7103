/**
 * The OpenAI-compatible HTTP backend: a model served by vLLM, llama.cpp's `llama-server`, or `stephrl llm serve`
 * (openai-server.ts), used through the same `LanguageModel` interface as the embedded backend.
 *
 * Only the legacy text endpoint (`/v1/completions`) is used: agents build their own prompts, so the server must not
 * apply a chat template. Sessions hold no state on this side; the server keeps its own prefix cache (vLLM's automatic
 * prefix caching, llama.cpp's `cache_prompt`), and reports what it reused in `usage.prompt_tokens_details`.
 */
import { z } from 'zod';
import type { ModelRole } from '../protocol/vocabulary';
import { ModelError, type FinishReason, type GenerateRequest, type Generation, type LanguageModel, type ModelInfo, type ModelSession } from './types';

export interface OpenAiOptions {
  /** The server's address, with or without the trailing `/v1` (e.g. http://127.0.0.1:8000/v1). */
  baseUrl: string;
  /** The model id to use; the first one the server lists when absent. */
  model?: string;
  /** Sent as `Authorization: Bearer ...` (vLLM --api-key, llama-server --api-key). */
  apiKey?: string;
  /** Per request, connection included; default 120 s. */
  timeoutMs?: number;
  /** Tokens a prompt and its answer may hold; default: the server's `max_model_len`, else 8192. */
  contextSize?: number;
  /** Requests in flight at once; default 4. Further ones wait their turn here instead of queueing on the server. */
  sessions?: number;
}

const DEFAULT_TIMEOUT_MS = 120_000;
const DEFAULT_CONTEXT_SIZE = 8192;
const DEFAULT_SESSIONS = 4;

// What we read from the server's answers. zod drops every other field, so extra ones from any server are fine.
const ModelList = z.object({
  data: z.array(z.object({ id: z.string().min(1), max_model_len: z.number().int().positive().nullish() })).min(1, 'the server lists no model'),
});

const CompletionResponse = z.object({
  choices: z.array(z.object({ text: z.string(), finish_reason: z.string().nullish() })).min(1),
  // Required: without usage the token counts the benchmarks report would be guesses.
  usage: z.object({
    prompt_tokens: z.number().int().nonnegative(),
    completion_tokens: z.number().int().nonnegative(),
    prompt_tokens_details: z.object({ cached_tokens: z.number().int().nonnegative().nullish() }).nullish(),
  }),
});

// llama-server answers {tokens: number[]}; vLLM {count, tokens}; stephrl's own server only {count}.
const TokenizeResponse = z
  .object({ count: z.number().int().nonnegative().optional(), tokens: z.array(z.unknown()).optional() })
  .refine((r) => r.count !== undefined || r.tokens !== undefined, 'neither count nor tokens');

/** A counting semaphore: at most `limit` holders at once, the others wait in arrival order. */
export class Semaphore {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`a semaphore needs a positive limit, not ${limit}`);
  }

  /** Resolves once a place is free; rejects if `signal` aborts first (the place is then not taken). */
  acquire(signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    if (this.active < this.limit) {
      this.active++;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const grant = () => {
        signal?.removeEventListener('abort', onAbort);
        this.active++;
        resolve();
      };
      const onAbort = () => {
        this.waiting.splice(this.waiting.indexOf(grant), 1);
        reject(signal!.reason);
      };
      this.waiting.push(grant);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  release(): void {
    this.active--;
    this.waiting.shift()?.();
  }

  async use<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    await this.acquire(signal);
    try {
      return await fn();
    } finally {
      this.release();
    }
  }
}

/** The server's root: `/v1` and trailing slashes removed, because `/tokenize` lives beside `/v1`, not under it. */
export function normaliseBaseUrl(baseUrl: string): string {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new ModelError(`'${baseUrl}' is not a URL: give the server's address, e.g. http://127.0.0.1:8000/v1`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ModelError(`${baseUrl}: only http and https servers are supported`);
  }
  return url.href.replace(/\/+$/, '').replace(/\/v1$/, '');
}

function excerpt(body: string, limit = 300): string {
  const flat = body.replace(/\s+/g, ' ').trim();
  return flat.length > limit ? `${flat.slice(0, limit)}...` : flat || '(empty body)';
}

/** What went wrong with a fetch, in words: fetch itself only says "fetch failed" and hides the cause. */
function describeFetchError(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
  const message = cause?.message ?? (error as Error)?.message ?? String(error);
  return cause?.code && !message.includes(cause.code) ? `${cause.code}: ${message}` : message;
}

class HttpClient {
  constructor(
    readonly root: string,
    private readonly apiKey: string | undefined,
    private readonly timeoutMs: number,
  ) {}

  /**
   * One JSON request. Answers the status and body of any HTTP answer (the caller decides what a 404 means); throws
   * ModelError when there is none (refused, timed out) and rethrows the caller's own abort unchanged.
   */
  async send(method: 'GET' | 'POST', path: string, body?: unknown, signal?: AbortSignal): Promise<{ url: string; status: number; text: string }> {
    const url = this.root + path;
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.apiKey) headers.authorization = `Bearer ${this.apiKey}`;
    try {
      const response = await fetch(url, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
      return { url, status: response.status, text: await response.text() };
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      if (timeout.aborted) throw new ModelError(`${method} ${url}: no answer within ${this.timeoutMs} ms`);
      throw new ModelError(`${method} ${url}: no answer from the server (${describeFetchError(error)})`);
    }
  }

  /** A request that must succeed with JSON of the given shape. */
  async json<T>(method: 'GET' | 'POST', path: string, schema: z.ZodType<T>, body?: unknown, signal?: AbortSignal): Promise<T> {
    const { url, status, text } = await this.send(method, path, body, signal);
    return parseAnswer(method, url, status, text, schema);
  }
}

/** A zod error on one line: "usage.prompt_tokens: Invalid input; ...". */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => (issue.path.length ? `${issue.path.join('.')}: ${issue.message}` : issue.message)).join('; ');
}

function parseAnswer<T>(method: string, url: string, status: number, text: string, schema: z.ZodType<T>): T {
  if (status < 200 || status > 299) throw new ModelError(`${method} ${url}: HTTP ${status}: ${excerpt(text)}`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ModelError(`${method} ${url}: the answer is not JSON: ${excerpt(text)}`);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new ModelError(`${method} ${url}: unexpected answer (${describeIssues(parsed.error)}): ${excerpt(text)}`);
  }
  return parsed.data;
}

function finishReason(reason: string | null | undefined): FinishReason {
  // Servers say 'stop' both for a stop string and for the end-of-sequence token, so 'eos' never comes back here.
  return reason === 'length' ? 'length' : 'stop';
}

class OpenAiModel implements LanguageModel {
  private readonly requests: Semaphore;
  /** Aborts whatever is in flight when the model is closed. */
  private readonly closing = new AbortController();
  /** How this server counts tokens, found on first use: its /tokenize, or a one-token completion. */
  private tokenizer: 'tokenize' | 'completion' | undefined;

  constructor(
    readonly info: ModelInfo,
    private readonly http: HttpClient,
    sessions: number,
  ) {
    this.requests = new Semaphore(sessions);
  }

  async openSession(roles: readonly ModelRole[]): Promise<ModelSession> {
    this.checkOpen();
    let open = true;
    return {
      generate: async (request) => {
        if (!open) throw new ModelError('generate on a closed session');
        if (!roles.includes(request.role)) throw new ModelError(`this session has no '${request.role}' role (it has ${roles.join(', ')})`);
        return this.generate(request);
      },
      // Nothing to give back: the server owns the KV cache.
      close: async () => {
        open = false;
      },
    };
  }

  private async generate(request: GenerateRequest): Promise<Generation> {
    this.checkOpen();
    const signal = request.signal ? AbortSignal.any([request.signal, this.closing.signal]) : this.closing.signal;
    const body = {
      model: this.info.name,
      prompt: request.prefix + request.state,
      max_tokens: request.maxTokens,
      temperature: request.temperature,
      // Servers end at the first stop string even when nothing precedes it, where types.ts says a stop string only
      // counts after some non-blank text. So a blank text with finish 'stop' can come back here (the model began with
      // a stop string) and is returned as it is: callers treat it as an empty answer either way.
      ...(request.stop.length > 0 ? { stop: [...request.stop] } : {}),
      ...(request.seed !== undefined ? { seed: request.seed } : {}),
      // llama-server reads `grammar`, vLLM `guided_grammar`; each ignores the other's field.
      ...(request.grammar !== undefined ? { grammar: request.grammar, guided_grammar: request.grammar } : {}),
    };
    return this.requests.use(async () => {
      const started = performance.now();
      const answer = await this.http.json('POST', '/v1/completions', CompletionResponse, body, signal);
      const latencyMs = performance.now() - started;
      const choice = answer.choices[0]!;
      return {
        text: choice.text,
        promptTokens: answer.usage.prompt_tokens,
        cachedPromptTokens: answer.usage.prompt_tokens_details?.cached_tokens ?? 0,
        completionTokens: answer.usage.completion_tokens,
        latencyMs,
        finish: finishReason(choice.finish_reason),
      };
    }, signal);
  }

  /**
   * Counts with the server's tokenizer. Tries `/tokenize` (llama-server, vLLM, stephrl) with one body both read
   * (llama-server reads `content`, vLLM `model` + `prompt`); where a server has no such endpoint, a one-token
   * completion's `usage.prompt_tokens`. The two may differ by the BOS token: llama-server's /tokenize leaves it out.
   */
  async countTokens(text: string): Promise<number> {
    this.checkOpen();
    const signal = this.closing.signal;
    if (this.tokenizer !== 'completion') {
      const { url, status, text: answer } = await this.http.send('POST', '/tokenize', { model: this.info.name, prompt: text, content: text }, signal);
      if (status !== 404 && status !== 405) {
        const tokens = parseAnswer('POST', url, status, answer, TokenizeResponse);
        this.tokenizer = 'tokenize';
        return tokens.count ?? tokens.tokens!.length;
      }
      if (this.tokenizer === 'tokenize') throw new ModelError(`POST ${url}: HTTP ${status}: ${excerpt(answer)}`);
      this.tokenizer = 'completion';
    }
    const body = { model: this.info.name, prompt: text, max_tokens: 1, temperature: 0 };
    const answer = await this.requests.use(() => this.http.json('POST', '/v1/completions', CompletionResponse, body, signal), signal);
    return answer.usage.prompt_tokens;
  }

  async close(): Promise<void> {
    this.closing.abort(new ModelError('the model was closed'));
  }

  private checkOpen(): void {
    if (this.closing.signal.aborted) throw new ModelError(`the model at ${this.info.location} is closed`);
  }
}

/** Connects to an OpenAI-compatible server and checks that it serves the model (GET /v1/models). */
export async function connectOpenAiModel(options: OpenAiOptions): Promise<LanguageModel> {
  const root = normaliseBaseUrl(options.baseUrl);
  const http = new HttpClient(root, options.apiKey, options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const { data } = await http.json('GET', '/v1/models', ModelList);
  const served = options.model === undefined ? data[0]! : data.find((m) => m.id === options.model);
  if (!served) {
    throw new ModelError(`${root}/v1/models: no model '${options.model}'; the server has ${data.map((m) => m.id).join(', ')}`);
  }
  const info: ModelInfo = {
    backend: 'openai',
    name: served.id,
    location: root,
    adapter: null,
    adapterMode: null,
    device: 'remote',
    contextSize: options.contextSize ?? served.max_model_len ?? DEFAULT_CONTEXT_SIZE,
  };
  return new OpenAiModel(info, http, options.sessions ?? DEFAULT_SESSIONS);
}
