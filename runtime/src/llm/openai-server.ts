/**
 * Serves any `LanguageModel` over the OpenAI-compatible text API (`/v1/models`, `/v1/completions`, `/tokenize`), so
 * other tools can use the embedded model, and so the HTTP backend (openai.ts) can be tested against a real server.
 *
 * There is no authentication, so it binds loopback addresses only, and it refuses requests a web page could forge
 * (a foreign Host header, a body that is not declared JSON).
 */
import * as http from 'node:http';
import * as net from 'node:net';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { describeIssues, Semaphore } from './openai';
import { ContextOverflowError, GrammarTooDeepError, type LanguageModel, type ModelSession } from './types';
import { timingSafeEqual } from 'node:crypto';

export interface OpenAiServerOptions {
  /** A loopback address or `localhost`; default 127.0.0.1. */
  host?: string;
  /** 0 picks a free port; the URL answered says which. */
  port: number;
  /** Generations run at once; default 1. At most the model's own `sessions`. */
  parallel?: number;
  /** One line per request (method, path, status, milliseconds). */
  log?: (line: string) => void;
  /** On a shared host: every request must carry `Authorization: Bearer <token>` (401 otherwise). */
  token?: string;
}

export interface OpenAiServer {
  /** e.g. http://127.0.0.1:8088 (the API is under /v1). */
  url: string;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 8 * 1024 * 1024;

/** 127.0.0.0/8, ::1 and localhost: the addresses only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (bare === 'localhost' || bare === '::1') return true;
  return net.isIPv4(bare) && bare.startsWith('127.');
}

const CompletionRequest = z.object({
  // One model is served whatever the id asked for, as llama-server does; the answer names the real one.
  model: z.string().optional(),
  prompt: z.string({ error: 'prompt must be a string' }),
  max_tokens: z.number().int().positive().default(64),
  temperature: z.number().min(0).max(2).default(0),
  stop: z.union([z.string(), z.array(z.string())]).nullish(),
  seed: z.number().int().optional(),
  grammar: z.string().optional(),
  guided_grammar: z.string().optional(),
  stream: z.literal(false, { error: 'streaming is not supported' }).optional(),
  n: z.literal(1, { error: 'only n = 1 is supported' }).optional(),
});

// llama-server's field is `content`, vLLM's `prompt`: either is accepted.
const TokenizeRequest = z
  .object({ content: z.string().optional(), prompt: z.string().optional() })
  .refine((r) => r.content !== undefined || r.prompt !== undefined, 'give the text as content (or prompt)');

/** An error answered with its own status (the client's mistakes: 4xx). */
class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Sessions opened on first need, reused after, at most `size` in use. A request goes to the idle session whose last
 * prompt shares the longest beginning with its own, so a client that alternates prompt kinds (STEP-HRL's three roles)
 * keeps each kind's prefix in the KV cache of its own session.
 */
class SessionPool {
  private readonly idle: Array<{ session: ModelSession; lastPrompt: string }> = [];
  private readonly slots: Semaphore;
  /** Sessions open now (idle or in use). */
  private opened = 0;

  constructor(
    private readonly model: LanguageModel,
    private readonly size: number,
  ) {
    this.slots = new Semaphore(size);
  }

  /** The idle session sharing the longest beginning with the prompt, unless a new one would serve it better. */
  private async take(prompt: string): Promise<ModelSession> {
    let best = -1;
    let bestShared = -1;
    this.idle.forEach(({ lastPrompt }, i) => {
      const shared = sharedPrefixLength(lastPrompt, prompt);
      if (shared > bestShared) [best, bestShared] = [i, shared];
    });
    if (best >= 0 && bestShared >= prompt.length / 2) return this.idle.splice(best, 1)[0]!.session;
    // A prompt unlike every cached one gets a session of its own while there is room, else the least recently used
    // one (idle sessions are kept oldest first): the other kinds' prefixes stay cached.
    if (this.opened >= this.size && this.idle.length) return this.idle.shift()!.session;
    this.opened++;
    try {
      return await this.model.openSession(['flat']);
    } catch (error) {
      this.opened--;
      throw error;
    }
  }

  async use<T>(prompt: string, fn: (session: ModelSession) => Promise<T>, signal: AbortSignal): Promise<T> {
    return this.slots.use(async () => {
      const session = await this.take(prompt);
      let healthy = false;
      try {
        const result = await fn(session);
        healthy = true;
        return result;
      } finally {
        // A session whose generation failed or was cut short may be in any state: close it, open a fresh one later.
        if (healthy) this.idle.push({ session, lastPrompt: prompt });
        else {
          this.opened--;
          await session.close().catch(() => {});
        }
      }
    }, signal);
  }

  async close(): Promise<void> {
    this.opened = 0;
    await Promise.all(this.idle.splice(0).map((s) => s.session.close()));
  }
}

function sharedPrefixLength(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  return i;
}

function readBody(request: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      // Past the limit, keep reading (so the client gets to read our answer) but keep nothing.
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    request.on('end', () => {
      if (size > MAX_BODY_BYTES) reject(new HttpError(413, `the request body is over ${MAX_BODY_BYTES} bytes`));
      else resolve(Buffer.concat(chunks).toString('utf8'));
    });
    request.on('error', reject);
    request.on('close', () => {
      if (!request.complete) reject(new HttpError(400, 'the request body was cut short'));
    });
  });
}

async function readJson<T>(request: http.IncomingMessage, schema: z.ZodType<T>): Promise<T> {
  const type = request.headers['content-type'] ?? '';
  // A browser can only send application/json cross-origin after a CORS preflight, which this server never allows.
  if (!/^application\/json\b/i.test(type)) throw new HttpError(415, 'send the body as JSON, with Content-Type: application/json');
  const text = await readBody(request);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new HttpError(400, `the body is not JSON: ${(error as Error).message}`);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new HttpError(400, describeIssues(parsed.error));
  return parsed.data;
}

/** Constant-time comparison of an Authorization header with the expected bearer token. */
function sameToken(header: string | undefined, token: string): boolean {
  const given = Buffer.from(/^Bearer (.+)$/i.exec(header ?? '')?.[1] ?? '');
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function send(response: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

export async function serveOpenAi(model: LanguageModel, options: OpenAiServerOptions): Promise<OpenAiServer> {
  const host = options.host ?? '127.0.0.1';
  if (!isLoopbackHost(host)) {
    throw new Error(
      `refusing to serve the model on ${host}: the server has no authentication, so it binds only loopback addresses ` +
        '(127.0.0.1, ::1, localhost); to reach it from elsewhere, use an SSH tunnel',
    );
  }
  const pool = new SessionPool(model, options.parallel ?? 1);
  const log = options.log ?? (() => {});
  const shutdown = new AbortController();
  const inFlight = new Set<Promise<void>>();

  const completion = async (request: http.IncomingMessage, signal: AbortSignal) => {
    const body = await readJson(request, CompletionRequest);
    const stop = body.stop == null ? [] : typeof body.stop === 'string' ? [body.stop] : body.stop;
    const generation = await pool.use(
      body.prompt,
      (session) =>
        session.generate({
          role: 'flat',
          // The whole prompt is the state: a request says nothing about which part of it is fixed.
          prefix: '',
          state: body.prompt,
          maxTokens: body.max_tokens,
          temperature: body.temperature,
          stop,
          grammar: body.grammar ?? body.guided_grammar,
          seed: body.seed,
          signal,
        }),
      signal,
    );
    return {
      id: `cmpl-${randomUUID()}`,
      object: 'text_completion',
      created: Math.floor(Date.now() / 1000),
      model: model.info.name,
      choices: [{ index: 0, text: generation.text, finish_reason: generation.finish === 'length' ? 'length' : 'stop', logprobs: null }],
      usage: {
        prompt_tokens: generation.promptTokens,
        completion_tokens: generation.completionTokens,
        total_tokens: generation.promptTokens + generation.completionTokens,
        prompt_tokens_details: { cached_tokens: generation.cachedPromptTokens },
      },
    };
  };

  const routes: Record<string, (request: http.IncomingMessage, signal: AbortSignal) => Promise<unknown>> = {
    'GET /v1/models': async () => ({
      object: 'list',
      data: [{ id: model.info.name, object: 'model', owned_by: 'stephrl', max_model_len: model.info.contextSize }],
    }),
    'POST /v1/completions': completion,
    'POST /tokenize': async (request) => {
      const body = await readJson(request, TokenizeRequest);
      return { count: await model.countTokens(body.content ?? body.prompt!) };
    },
  };

  const handle = async (request: http.IncomingMessage, response: http.ServerResponse) => {
    const started = performance.now();
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    // Cut the generation short when the client goes away before its answer, or the server closes.
    const disconnected = new AbortController();
    response.on('close', () => {
      if (!response.writableFinished) disconnected.abort(new Error('the client disconnected'));
    });
    const stop = () => disconnected.abort(new Error('the server is closing'));
    shutdown.signal.addEventListener('abort', stop, { once: true });
    let status = 200;
    try {
      // DNS rebinding: a page served from evil.example resolved to 127.0.0.1 still says Host: evil.example.
      const hostHeader = (request.headers.host ?? '').replace(/:\d+$/, '');
      if (!isLoopbackHost(hostHeader)) throw new HttpError(403, `Host '${request.headers.host ?? ''}' is not a loopback address`);
      if (options.token !== undefined && !sameToken(request.headers.authorization, options.token)) {
        throw new HttpError(401, 'this server needs the token it was started with: send Authorization: Bearer <token>');
      }
      const route = routes[`${request.method} ${path}`];
      if (!route) {
        const known = Object.keys(routes).some((key) => key.endsWith(` ${path}`));
        throw known ? new HttpError(405, `${request.method} is not allowed on ${path}`) : new HttpError(404, `no endpoint ${path}`);
      }
      send(response, 200, await route(request, disconnected.signal));
    } catch (error) {
      if (disconnected.signal.aborted) {
        status = 499; // nobody to answer; logged as nginx does
      } else {
        // A prompt too long for the context (or a grammar too deep) is the client's to fix, as OpenAI and vLLM answer it; anything else the
        // model says is the server's failure.
        status =
          error instanceof HttpError ? error.status : error instanceof ContextOverflowError || error instanceof GrammarTooDeepError ? 400 : 500;
        send(response, status, { error: { message: (error as Error).message ?? String(error), code: status } });
      }
    }
    shutdown.signal.removeEventListener('abort', stop);
    log(`${request.method} ${path} ${status} ${Math.round(performance.now() - started)} ms`);
  };

  const server = http.createServer((request, response) => {
    const handled = handle(request, response).finally(() => inFlight.delete(handled));
    inFlight.add(handled);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(new Error(`cannot listen on ${host}:${options.port}: ${error.code ?? error.message}`)),
    );
    server.listen(options.port, host, () => resolve());
  });
  const address = server.address() as net.AddressInfo;
  const shownHost = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;

  return {
    url: `http://${shownHost}:${address.port}`,
    close: async () => {
      // Stop accepting, cut what runs short, let those handlers return their sessions, then close the sessions.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      shutdown.abort();
      server.closeAllConnections();
      await Promise.allSettled(inFlight);
      await closed;
      await pool.close();
    },
  };
}
