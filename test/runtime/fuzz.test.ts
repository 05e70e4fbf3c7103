/**
 * Property-based fuzzing (fast-check, fixed seeds): the importers, the webview messages and the JSON-RPC server take
 * thousands of generated inputs, from any JSON at all to real files with a part cut, replaced or nested deep. What must
 * hold: nothing crashes (no exception but the refusal the input deserves, no exit of the server), a refusal names the
 * input (the file and line, the method), and a refused write leaves the dataset as it was.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { parseJsonl } from '../../runtime/src/exchange/jsonl';
import { parseEto } from '../../runtime/src/exchange/eto';
import { parseStepRlRawMany } from '../../runtime/src/exchange/steprl-raw';
import { readImport } from '../../runtime/src/exchange/files';
import { importEpisodes } from '../../runtime/src/exchange/import';
import { ImportError } from '../../runtime/src/exchange/types';
import { DatasetStore } from '../../runtime/src/store/dataset-store';
import { segmentationProblem } from '../../runtime/src/store/annotations';
import { checkMessage, HostToWebview, WebviewToHost, ViewState } from '../../runtime/src/protocol/webview';
import { requests } from '../../runtime/src/protocol/rpc';
import { StudioError } from '../../runtime/src/protocol/errors';
import { cli, root, runCli } from './helpers';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stephrl-fuzz-'));
const db = path.join(dir, 'fuzz.db');
const samples: Record<'jsonl' | 'eto' | 'raw', string> = { jsonl: '', eto: '', raw: '' };

before(async () => {
  for (const args of [
    ['demos', '--env', 'alfworld', '--split', 'valid_train', '--limit', '2', '--db', db],
    ['annotate', '--db', db],
    ['dataset', 'export', '--format', 'jsonl', '--out', path.join(dir, 'sample.jsonl'), '--db', db],
    ['dataset', 'export', '--format', 'eto', '--out', path.join(dir, 'sample.eto.json'), '--db', db],
    ['dataset', 'export', '--format', 'steprl-raw', '--out', path.join(dir, 'raw'), '--db', db],
  ]) {
    const r = await runCli(args);
    assert.equal(r.code, 0, `stephrl ${args.join(' ')}\n${r.stderr}`);
  }
  samples.jsonl = fs.readFileSync(path.join(dir, 'sample.jsonl'), 'utf8');
  samples.eto = fs.readFileSync(path.join(dir, 'sample.eto.json'), 'utf8');
  samples.raw = fs.readFileSync(path.join(dir, 'raw', fs.readdirSync(path.join(dir, 'raw'))[0]!), 'utf8');
});

after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A real file with damage: a span cut out, replaced by random text, a value swapped for any JSON, or deep nesting. */
function damaged(text: string): fc.Arbitrary<string> {
  const span = fc.tuple(fc.nat(text.length), fc.nat(200));
  return fc.oneof(
    span.map(([at, n]) => text.slice(0, at) + text.slice(at + n)),
    fc.tuple(span, fc.string({ unit: 'binary', maxLength: 40 })).map(([[at, n], s]) => text.slice(0, at) + s + text.slice(at + n)),
    fc.tuple(fc.nat(text.length), fc.jsonValue({ maxDepth: 3 })).map(([at, v]) => {
      // Swap the JSON value that starts at the first ':' after `at` for another one.
      const colon = text.indexOf(':', at);
      if (colon < 0) return text;
      const end = text.slice(colon + 1).search(/[,}\]]/);
      return text.slice(0, colon + 1) + JSON.stringify(v) + (end < 0 ? '' : text.slice(colon + 1 + end));
    }),
    fc.integer({ min: 1, max: 200_000 }).map((depth) => '['.repeat(depth) + ']'.repeat(depth)),
    fc.integer({ min: 1, max: 200_000 }).map((depth) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth)),
  );
}

const anyText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.jsonValue({ maxDepth: 5 }).map((v) => JSON.stringify(v)),
);

/** Parses, or refuses with an ImportError that names the file; anything else thrown is a crash. */
function parsesOrRefuses(parse: () => unknown, file: string): void {
  try {
    parse();
  } catch (error) {
    if (!(error instanceof ImportError)) throw new Error(`a crash instead of a refusal: ${(error as Error).stack}`, { cause: error });
    assert.ok(error.problems.length > 0);
    for (const p of error.problems) {
      assert.equal(p.file, file);
      assert.ok(Number.isInteger(p.line) && p.line >= 0, `line ${p.line}`);
      assert.ok(p.message.length > 0 && p.message.length < 2_000, p.message.slice(0, 200));
    }
    assert.ok(error.message.includes(file));
  }
}

test('importers: 3000 damaged or random files are each read or refused with the file and line, never a crash', () => {
  const runs = 1000;
  fc.assert(
    fc.property(fc.oneof(damaged(samples.jsonl), anyText), (text) => parsesOrRefuses(() => parseJsonl(text, 'in.jsonl'), 'in.jsonl')),
    { seed: 11, numRuns: runs },
  );
  fc.assert(
    fc.property(fc.oneof(damaged(samples.eto), anyText), (text) => parsesOrRefuses(() => parseEto(text, { file: 'in.json' }), 'in.json')),
    { seed: 12, numRuns: runs },
  );
  fc.assert(
    fc.property(fc.oneof(damaged(samples.raw), anyText), (text) =>
      parsesOrRefuses(() => parseStepRlRawMany([{ file: 'task/variation1.json', text }], { split: null }), 'task/variation1.json'),
    ),
    { seed: 13, numRuns: runs },
  );
});

test('importers: files of random bytes are refused as not UTF-8 at their line, or read', () => {
  const file = path.join(dir, 'bytes.jsonl');
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 1, maxLength: 400 }), (bytes) => {
      fs.writeFileSync(file, bytes);
      parsesOrRefuses(() => readImport('jsonl', [file], {}), file);
    }),
    { seed: 14, numRuns: 500 },
  );
});

test('import into a dataset: what parses is stored whole, and a refused import writes nothing', async () => {
  const target = await DatasetStore.open(path.join(dir, 'imports.db'));
  try {
    await fc.assert(
      fc.asyncProperty(damaged(samples.jsonl), async (text) => {
        const before = (await target.episodes.list()).length;
        let parsed;
        try {
          parsed = parseJsonl(text, 'in.jsonl');
        } catch (error) {
          if (error instanceof ImportError) return;
          throw error;
        }
        try {
          const { episodeIds } = await importEpisodes(target, parsed, { format: 'jsonl', files: ['in.jsonl'] });
          assert.equal((await target.episodes.list()).length, before + episodeIds.length);
        } catch (error) {
          // The database's own checks may refuse what the parser let through: a clear error, nothing written.
          assert.ok(error instanceof StudioError, `an unclear error: ${(error as Error).stack}`);
          assert.equal((await target.episodes.list()).length, before);
        }
      }),
      { seed: 15, numRuns: 300 },
    );
    assert.deepEqual(await target.integrityProblems(), []);
  } finally {
    await target.close();
  }
});

test('webview messages: 5000 random messages are taken only when they match the protocol; a refusal is short and names the kind', () => {
  const types = [...WebviewToHost.options.map((o) => o.shape.type.value), ...HostToWebview.options.map((o) => o.shape.type.value)];
  const message = fc.oneof(
    fc.jsonValue({ maxDepth: 4 }),
    fc
      .record({ type: fc.oneof(fc.constantFrom(...types), fc.string({ maxLength: 500 })) })
      .chain((base) =>
        fc
          .dictionary(
            fc.constantFrom('episodeId', 'runIds', 'state', 'edit', 'format', 'data', 'suggestedName', 'episodes', 'message'),
            fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.string({ minLength: 5_000, maxLength: 20_000 })),
          )
          .map((rest) => ({ ...rest, ...base })),
      ),
  );
  let refused = 0;
  fc.assert(
    fc.property(message, (m) => {
      for (const schema of [WebviewToHost, HostToWebview, ViewState] as const) {
        const checked = checkMessage<unknown>(schema, m);
        assert.equal(checked.ok, schema.safeParse(m).success);
        if (checked.ok) continue;
        refused++;
        assert.ok(checked.reason.length <= 400, checked.reason.slice(0, 500));
        const type = (m as { type?: unknown } | null)?.type;
        if (typeof type === 'string' && type.length <= 40) assert.ok(checked.reason.startsWith(`a '${type}' message`), checked.reason);
      }
    }),
    { seed: 16, numRuns: 5000 },
  );
  assert.ok(refused > 5000, `${refused} refusals`);
});

// ---- the JSON-RPC server ----

/** `stephrl serve` spoken to frame by frame, so that any body at all can be sent. */
class RawServer {
  readonly child: ChildProcess;
  stderr = '';
  private buffer = Buffer.alloc(0);
  private readonly answers = new Map<number, (message: Record<string, unknown>) => void>();
  readonly unmatched: Array<Record<string, unknown>> = [];

  constructor(cwd: string) {
    this.child = spawn(process.execPath, [cli, 'serve'], { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stderr!.on('data', (d) => (this.stderr += d));
    this.child.stdout!.on('data', (d: Buffer) => this.read(d));
  }

  private read(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      const end = this.buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      const length = Number(/Content-Length: (\d+)/i.exec(this.buffer.subarray(0, end).toString())?.[1]);
      if (this.buffer.length < end + 4 + length) return;
      const message = JSON.parse(this.buffer.subarray(end + 4, end + 4 + length).toString()) as Record<string, unknown>;
      this.buffer = this.buffer.subarray(end + 4 + length);
      const answer = typeof message.id === 'number' ? this.answers.get(message.id) : undefined;
      if (answer) answer(message);
      else if (!('method' in message)) this.unmatched.push(message);
    }
  }

  send(body: string): void {
    this.child.stdin!.write(`Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  }

  request(id: number, method: string, params: unknown): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no answer to ${method} ${JSON.stringify(params)?.slice(0, 300)}\n${this.stderr.slice(-2000)}`)),
        60_000,
      );
      this.answers.set(id, (m) => {
        clearTimeout(timer);
        this.answers.delete(id);
        resolve(m);
      });
      this.send(JSON.stringify({ jsonrpc: '2.0', id, method, ...(params === undefined ? {} : { params }) }));
    });
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }
}

/** Requests that start jobs, workers or programs are left out: the fuzz is about what the server does with input. */
const JOB_METHODS = new Set([
  'runtime/health',
  'env/listSplit',
  'env/runExpert',
  'dataset/collectDemonstrations',
  'agent/evaluate',
  'train/run',
  'train/pipeline',
  'train/criticValues',
  'runs/stop',
]);
const PARAM_KEYS = [
  'db',
  'episodeId',
  'edit',
  'actor',
  'filter',
  'format',
  'files',
  'out',
  'ids',
  'runId',
  'kind',
  'limit',
  'after',
  'annotate',
  'again',
  'extra',
  'name',
  'overwriteUnreviewed',
];

test('JSON-RPC: 2000 requests with generated methods and parameters are each answered, and the server lives on with a sound dataset', async () => {
  const cwd = fs.mkdtempSync(path.join(dir, 'serve-'));
  const server = new RawServer(cwd);
  const methods = Object.keys(requests).filter((m) => !JOB_METHODS.has(m));
  const files = [path.join(dir, 'sample.jsonl'), path.join(dir, 'missing.jsonl'), dir];
  const edit = fc.record(
    {
      op: fc.constantFrom('split', 'merge', 'moveBoundary', 'rename', 'setProgress', 'review', 'setSubtasks', 'nope'),
      subtask: fc.integer({ min: -2, max: 12 }),
      atStep: fc.integer({ min: -2, max: 60 }),
      toStep: fc.integer({ min: -2, max: 60 }),
      step: fc.integer({ min: -2, max: 60 }),
      name: fc.string({ maxLength: 30 }),
      text: fc.string({ maxLength: 30 }),
      reviewed: fc.boolean(),
      subtasks: fc.array(
        fc.record({ name: fc.string({ maxLength: 10 }), firstStep: fc.integer({ min: -1, max: 40 }), lastStep: fc.integer({ min: -1, max: 40 }) }),
        { maxLength: 6 },
      ),
    },
    { requiredKeys: ['op'] },
  );
  const params = fc.oneof(
    fc.jsonValue({ maxDepth: 4 }),
    fc.dictionary(fc.constantFrom(...PARAM_KEYS), fc.jsonValue({ maxDepth: 3 })),
    fc.record(
      { episodeId: fc.oneof(fc.constantFrom(1, 2, 3), fc.integer()), edit, actor: fc.constantFrom('user:fuzz', '') },
      { requiredKeys: ['episodeId'] },
    ),
  );
  // Paths are pinned to this test's folder: a fuzzer must not write where it likes.
  const pinned = (p: unknown, n: number): unknown => {
    if (typeof p !== 'object' || p === null || Array.isArray(p)) return p;
    const o = { ...(p as Record<string, unknown>) };
    if ('db' in o || n % 2 === 0) o.db = n % 7 === 0 ? path.join(cwd, 'other.db') : db;
    if ('out' in o) o.out = path.join(cwd, `out-${n}.jsonl`);
    if ('files' in o) o.files = [files[n % files.length]];
    if ('extra' in o) o.extra = [];
    delete o.python;
    return o;
  };
  let id = 0;
  const codes = new Map<number, number>();
  try {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof({ arbitrary: fc.constantFrom(...methods), weight: 9 }, { arbitrary: fc.string({ maxLength: 20 }), weight: 1 }),
        params,
        async (method, raw) => {
          id++;
          const sent = pinned(raw, id);
          const answer = await server.request(id, method, sent);
          assert.ok(server.alive, server.stderr.slice(-2000));
          if ('error' in answer) {
            const error = answer.error as { code: number; message: string };
            codes.set(error.code, (codes.get(error.code) ?? 0) + 1);
            assert.ok(Number.isInteger(error.code) && error.code !== -32603, `${method}: an internal error is a crash: ${error.message}`);
            assert.ok(error.message.length > 0 && error.message.length <= 4_000, `${method}: ${error.message.slice(0, 300)}`);
            if (error.code === -32602) assert.ok(error.message.includes(method), `a refusal names the method: ${error.message.slice(0, 200)}`);
            if (error.code === -32601) assert.ok(!methods.includes(method) || JOB_METHODS.has(method));
          } else assert.ok('result' in answer);
        },
      ),
      { seed: 17, numRuns: 2000 },
    );
    // Bodies that are not JSON, or not requests: answered where they can be, and serving goes on.
    await fc.assert(
      fc.asyncProperty(anyText, async (body) => {
        server.send(body);
        id++;
        const answer = await server.request(id, 'dataset/stats', { db });
        assert.ok('result' in answer, JSON.stringify(answer).slice(0, 300));
      }),
      { seed: 18, numRuns: 300 },
    );
    console.log(`error codes answered: ${JSON.stringify(Object.fromEntries(codes))}`);
  } finally {
    server.child.kill('SIGKILL');
  }
  const store = await DatasetStore.open(db);
  try {
    assert.deepEqual(await store.integrityProblems(), []);
    for (const e of await store.episodes.list()) {
      const episode = await store.episodes.get(e.id);
      if (episode.subtasks.length) assert.equal(segmentationProblem(episode.subtasks, episode.stepCount), null, `episode ${e.id}`);
    }
  } finally {
    await store.close();
  }
  // Requests without a dataset use the default one in the working folder (.stephrl/stephrl.db).
  const written = fs.readdirSync(cwd, { recursive: true, encoding: 'utf8' });
  assert.deepEqual(
    written.filter((f) => !/^(out-\d+\.jsonl|other\.db(-wal|-shm)?|\.stephrl|\.stephrl\/stephrl\.db(-wal|-shm)?)$/.test(f)),
    [],
    'nothing written outside the pinned paths',
  );
});

test('JSON-RPC frames: random bytes on the wire are answered or end the server with its reason, never a crash', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(
        fc.oneof(
          fc.string({ unit: 'binary', maxLength: 60 }),
          anyText.map((b) => `Content-Length: ${Buffer.byteLength(b)}\r\n\r\n${b}`),
          fc.nat(100).map((n) => `Content-Length: ${n}\r\n\r\n`),
        ),
        { minLength: 1, maxLength: 4 },
      ),
      async (chunks) => {
        const server = new RawServer(root);
        try {
          for (const c of chunks) server.child.stdin!.write(c);
          const exit = new Promise<number | null>((r) => server.child.once('exit', (code) => r(code)));
          const answered = server.request(1_000_000, 'dataset/stats', { db }).then(() => 'answered' as const);
          // A frame left incomplete holds the stream until the server gives up on it (30 s); do not wait for that.
          const outcome = await Promise.race([answered, exit.then((code) => code), new Promise((r) => setTimeout(() => r('waiting'), 3_000))]);
          if (typeof outcome === 'number' || outcome === null) {
            assert.equal(outcome, 1, `exit ${outcome}: ${server.stderr.slice(-500)}`);
            assert.match(server.stderr, /cannot be trusted any more/);
          }
          assert.doesNotMatch(server.stderr, /Uncaught|TypeError|RangeError|at .+\.js:\d+/);
        } finally {
          server.child.kill('SIGKILL');
        }
      },
    ),
    { seed: 19, numRuns: 25 },
  );
});
