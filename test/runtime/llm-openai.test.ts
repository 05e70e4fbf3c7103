/**
 * The OpenAI-compatible backend against a real HTTP server: `serveOpenAi` on loopback, backed by the embedded model
 * (a tiny random-weight GGUF), and `connectOpenAiModel` talking to it.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { loadEmbeddedModel } from '../../runtime/src/llm/embedded';
import { connectOpenAiModel } from '../../runtime/src/llm/openai';
import { serveOpenAi } from '../../runtime/src/llm/openai-server';
import { ModelError, type GenerateRequest, type LanguageModel } from '../../runtime/src/llm/types';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stephrl-openai-'));
const PROMPT = 'hello world';
let model: LanguageModel;
let server: { url: string; close(): Promise<void> };
/** What the embedded model answers to PROMPT directly (greedy), to compare with the same request over HTTP. */
let direct: { text: string; promptTokens: number };

/** Generations the server has in flight, as the model sees them; `delayMs` holds each one so that overlaps show. */
const observed = { inFlight: 0, peak: 0, delayMs: 0 };

/** The embedded model as the server uses it, counting concurrent generations (everything else passes through). */
function counting(inner: LanguageModel): LanguageModel {
  return {
    info: inner.info,
    countTokens: (text) => inner.countTokens(text),
    close: () => inner.close(),
    openSession: async (roles) => {
      const session = await inner.openSession(roles);
      return {
        close: () => session.close(),
        generate: async (request) => {
          observed.inFlight++;
          observed.peak = Math.max(observed.peak, observed.inFlight);
          try {
            if (observed.delayMs) await new Promise((r) => setTimeout(r, observed.delayMs));
            return await session.generate(request);
          } finally {
            observed.inFlight--;
          }
        },
      };
    },
  };
}

const ask = (overrides: Partial<GenerateRequest> = {}): GenerateRequest => ({
  role: 'flat',
  prefix: '',
  state: PROMPT,
  maxTokens: 16,
  temperature: 0,
  stop: [],
  ...overrides,
});

before(async () => {
  // A dynamic import: this test is compiled to CommonJS, which cannot require() an ES module with top-level await.
  const { writeTinyLlamaGguf } = await import('../fixtures/tinygguf.mjs');
  const modelPath = path.join(dir, 'tiny.gguf');
  writeTinyLlamaGguf(modelPath);
  model = await loadEmbeddedModel({ modelPath, threads: 1, contextSize: 1024, sessions: 2, gpu: false });
  const session = await model.openSession(['flat']);
  try {
    direct = await session.generate(ask());
  } finally {
    await session.close();
  }
  server = await serveOpenAi(counting(model), { host: '127.0.0.1', port: 0, parallel: 2 });
});

after(async () => {
  await server?.close();
  await model?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const post = (route: string, body: string, type = 'application/json') =>
  fetch(`${server.url}${route}`, { method: 'POST', headers: { 'content-type': type }, body });

test('port 0 binds a free port and the URL says which', () => {
  const port = Number(new URL(server.url).port);
  assert.ok(port > 0, server.url);
  assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
});

test('GET /v1/models lists the model, and the client takes its id and context from there', async () => {
  const listed = (await (await fetch(`${server.url}/v1/models`)).json()) as { data: Array<{ id: string; max_model_len: number }> };
  assert.deepEqual(
    listed.data.map((m) => [m.id, m.max_model_len]),
    [['tiny.gguf', 1024]],
  );

  const client = await connectOpenAiModel({ baseUrl: `${server.url}/v1/` });
  assert.deepEqual(client.info, {
    backend: 'openai',
    name: 'tiny.gguf',
    location: server.url,
    adapter: null,
    adapterMode: null,
    device: 'remote',
    contextSize: 1024,
  });
  const sized = await connectOpenAiModel({ baseUrl: server.url, contextSize: 512 });
  assert.equal(sized.info.contextSize, 512);
  await assert.rejects(
    connectOpenAiModel({ baseUrl: server.url, model: 'gpt-4' }),
    (e: unknown) => e instanceof ModelError && /no model 'gpt-4'.*tiny\.gguf/.test(e.message),
  );
});

test('a completion over HTTP is the embedded model’s own answer, with its token counts', async () => {
  const client = await connectOpenAiModel({ baseUrl: server.url });
  const session = await client.openSession(['flat']);
  const generation = await session.generate(ask());
  assert.equal(generation.text, direct.text);
  assert.ok(generation.text.length > 0);
  assert.equal(generation.promptTokens, direct.promptTokens);
  assert.ok(generation.promptTokens > 0);
  assert.ok(generation.completionTokens > 0);
  assert.ok(generation.cachedPromptTokens >= 0 && generation.cachedPromptTokens < generation.promptTokens);
  assert.ok(generation.latencyMs > 0);
  // The same prompt again: the server's session still holds it, so its tokens come from cache.
  const again = await session.generate(ask());
  assert.equal(again.text, direct.text);
  assert.ok(again.cachedPromptTokens > 0, `cached ${again.cachedPromptTokens}`);
  await session.close();
  await assert.rejects(session.generate(ask()), ModelError);
});

test('alternating prompt kinds each reuse their own session cache (prefix affinity)', async () => {
  const client = await connectOpenAiModel({ baseUrl: server.url });
  const session = await client.openSession(['flat']);
  const kinds = ['You are the planner. Write the next subtask.\n\n', 'You are the actor. Write the next action.\n\n'];
  const cached: number[] = [];
  for (let round = 0; round < 3; round++) {
    for (const kind of kinds) {
      const g = await session.generate(ask({ prefix: kind, state: `round ${round}:`, maxTokens: 2, stop: [] }));
      if (round > 0) cached.push(g.cachedPromptTokens / g.promptTokens);
    }
  }
  // From the second round on, each prompt lands on the session that last served its kind: most of it is cached.
  assert.ok(
    cached.every((share) => share > 0.7),
    `cached shares ${cached.map((c) => c.toFixed(2))}`,
  );
  await session.close();
});

test('max_tokens ends the answer with finish "length"', async () => {
  const client = await connectOpenAiModel({ baseUrl: server.url });
  const session = await client.openSession(['flat']);
  const generation = await session.generate(ask({ maxTokens: 3 }));
  assert.equal(generation.finish, 'length');
  assert.equal(generation.completionTokens, 3);
});

test('a stop string ends the answer before it, with finish "stop"', async () => {
  // The random model's greedy answer decides which stop string can work: the first printable ASCII character that
  // first appears after some non-blank text.
  const index = [...direct.text].findIndex(
    (ch, i, chars) => /[!-~]/.test(ch) && chars.slice(0, i).join('').trim() !== '' && !chars.slice(0, i).includes(ch),
  );
  assert.ok(index > 0, `no usable stop character in ${JSON.stringify(direct.text)}`);
  const chars = [...direct.text];
  const client = await connectOpenAiModel({ baseUrl: server.url });
  const session = await client.openSession(['flat']);
  const generation = await session.generate(ask({ stop: ['\u0001never', chars[index]!] }));
  assert.equal(generation.text, chars.slice(0, index).join(''));
  assert.equal(generation.finish, 'stop');
  assert.ok(generation.completionTokens > 0 && generation.completionTokens < 16);
});

test('countTokens uses the server’s tokenizer', async () => {
  const client = await connectOpenAiModel({ baseUrl: server.url });
  const count = await client.countTokens(PROMPT);
  assert.ok(count > 0);
  assert.equal(count, await model.countTokens(PROMPT));
});

test('the client keeps at most `sessions` requests in flight', async () => {
  observed.delayMs = 100;
  try {
    for (const [sessions, expected] of [
      [1, 1],
      [2, 2],
    ] as const) {
      observed.peak = 0;
      const client = await connectOpenAiModel({ baseUrl: server.url, sessions });
      const session = await client.openSession(['flat']);
      const answers = await Promise.all([1, 2, 3, 4].map(() => session.generate(ask({ maxTokens: 2 }))));
      assert.equal(answers.length, 4);
      assert.equal(observed.peak, expected, `sessions: ${sessions}`);
    }
  } finally {
    observed.delayMs = 0;
  }
});

test('bad requests answer 400, 404, 413 and 415 with a message', async () => {
  const malformed = await post('/v1/completions', '{"prompt": ');
  assert.equal(malformed.status, 400);
  assert.match(((await malformed.json()) as { error: { message: string } }).error.message, /not JSON/);

  const invalid = await post('/v1/completions', JSON.stringify({ prompt: 42, max_tokens: 4 }));
  assert.equal(invalid.status, 400);
  assert.match(((await invalid.json()) as { error: { message: string } }).error.message, /prompt/);

  const tooLong = await post('/v1/completions', JSON.stringify({ prompt: 'x', max_tokens: 5000 }));
  assert.equal(tooLong.status, 400);
  // The message names what was asked and what fits, never a negative size.
  assert.match(
    ((await tooLong.json()) as { error: { message: string } }).error.message,
    /asks for up to 5000 answer tokens, but the context holds \d+ in all/,
  );

  // A grammar nested deeper than llama.cpp's recursive parser survives is refused; the server lives on.
  const deep = `root ::= ${'('.repeat(20_000)}"a"${')'.repeat(20_000)}`;
  const tooDeep = await post('/v1/completions', JSON.stringify({ prompt: 'x', max_tokens: 2, grammar: deep }));
  assert.equal(tooDeep.status, 400);
  assert.match(((await tooDeep.json()) as { error: { message: string } }).error.message, /the grammar nests 20000 levels deep; at most 2000/);
  const shallow = await post(
    '/v1/completions',
    JSON.stringify({ prompt: 'x', max_tokens: 2, grammar: `root ::= ${'('.repeat(50)}"a"${')'.repeat(50)}` }),
  );
  assert.equal(shallow.status, 200);
  assert.equal(((await shallow.json()) as { choices: Array<{ text: string }> }).choices[0]!.text, 'a');

  assert.equal((await post('/v1/completions', JSON.stringify({ prompt: 'x' }), 'text/plain')).status, 415);
  assert.equal((await post('/v1/chat/completions', '{}')).status, 404);
  assert.equal((await post('/v1/completions', JSON.stringify({ prompt: 'x'.repeat(9 * 1024 * 1024) }))).status, 413);
});

test('with a token, a request without it is refused (401) and the client sends it from OPENAI_API_KEY', async () => {
  const guarded = await serveOpenAi(model, { host: '127.0.0.1', port: 0, token: 's3cret' });
  try {
    const body = JSON.stringify({ prompt: 'x', max_tokens: 1 });
    const ask = (authorization?: string) =>
      fetch(`${guarded.url}/v1/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
        body,
      });
    assert.equal((await ask()).status, 401);
    assert.equal((await ask('Bearer wrong!')).status, 401);
    assert.match(((await (await ask('Bearer s3cre')).json()) as { error: { message: string } }).error.message, /Authorization: Bearer <token>/);
    assert.equal((await ask('Bearer s3cret')).status, 200);
    const client = await connectOpenAiModel({ baseUrl: `${guarded.url}/v1`, apiKey: 's3cret' });
    assert.equal(client.info.backend, 'openai');
    await client.close();
  } finally {
    await guarded.close();
  }
});

test('the server binds only loopback addresses', async () => {
  for (const host of ['0.0.0.0', '::', '192.168.1.10', 'example.com']) {
    await assert.rejects(serveOpenAi(model, { host, port: 0 }), /refusing to serve the model on .*loopback/, host);
  }
});

test('a dead server or a wrong path is a ModelError that names the URL', async () => {
  const port = await freePort();
  await assert.rejects(
    connectOpenAiModel({ baseUrl: `http://127.0.0.1:${port}/v1` }),
    (e: unknown) => e instanceof ModelError && e.message.includes(`http://127.0.0.1:${port}/v1/models`) && /ECONNREFUSED/.test(e.message),
  );
  await assert.rejects(
    connectOpenAiModel({ baseUrl: `${server.url}/nothing` }),
    (e: unknown) => e instanceof ModelError && e.message.includes(`${server.url}/nothing/v1/models`) && /HTTP 404/.test(e.message),
  );
});

/** A port nothing listens on: one the system just gave out and took back. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}
