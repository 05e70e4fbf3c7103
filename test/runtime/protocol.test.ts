import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WorkerLine, workerResults } from '../../runtime/src/protocol/env-worker';
import { EpisodeSpec } from '../../runtime/src/protocol/environment';
import { requests } from '../../runtime/src/protocol/rpc';
import { cliRequest } from '../../runtime/src/services/request';
import { UsageError } from '../../runtime/src/protocol/errors';
import { HostToWebview, WebviewToHost } from '../../runtime/src/protocol/webview';

test('worker lines: accepted shapes and rejected ones', () => {
  assert.ok(WorkerLine.safeParse({ event: 'ready', engine: { name: 'alfworld', version: '1' }, pid: 3 }).success);
  assert.ok(WorkerLine.safeParse({ id: 1, ok: false, error: { code: 'x', message: 'y' } }).success);
  assert.ok(!WorkerLine.safeParse({ id: '1', ok: true, result: {} }).success);
  assert.ok(!WorkerLine.safeParse({ event: 'party' }).success);
  assert.ok(!workerResults.step.safeParse({ observation: 'x', reward: 0 }).success);
});

test('episode specs are validated per environment', () => {
  assert.ok(EpisodeSpec.safeParse({ env: 'scienceworld', task: 'boil', variation: 0 }).success);
  assert.ok(!EpisodeSpec.safeParse({ env: 'scienceworld', task: 'boil', variation: -1 }).success);
  assert.ok(!EpisodeSpec.safeParse({ env: 'alfworld', task: 'boil' }).success);
  assert.ok(!EpisodeSpec.safeParse({ env: 'minecraft', game: 'x' }).success);
});

test('rpc params and webview messages are validated', () => {
  assert.ok(!requests['env/listSplit'].params.safeParse({ env: 'alfworld' }).success);
  // A pipeline's tasks belong to one environment: with both, the request is refused on its tasks field.
  const pipeline = requests['train/pipeline'].params;
  assert.ok(pipeline.safeParse({ envs: ['alfworld'], tasks: ['pick_and_place_simple'] }).success);
  const both = pipeline.safeParse({ tasks: ['pick_and_place_simple'] });
  assert.deepEqual(
    both.error?.issues.map((i) => i.path),
    [['tasks']],
  );
  assert.ok(!pipeline.safeParse({ envs: ['alfworld'], tasks: [] }).success);
  assert.ok(WebviewToHost.safeParse({ type: 'recheck' }).success);
  assert.ok(!WebviewToHost.safeParse({ type: 'runCommand', command: 'rm -rf /' }).success);
  assert.ok(!HostToWebview.safeParse({ type: 'runtimeStatus', state: 'ready' }).success);
});

test('every error meant for a person carries one JSON-RPC code and one exit code, used by the server and the CLI alike', async () => {
  const { ErrorCodes, ExitCodes, StudioError, UsageError, ConflictError } = await import('../../runtime/src/protocol/errors');
  const { ModelError } = await import('../../runtime/src/llm/types');
  const { EngineError, WorkerFailure } = await import('../../runtime/src/env/worker-process');
  const { EpisodeFailure } = await import('../../runtime/src/env/pool');
  const { StoreError } = await import('../../runtime/src/store/sqlite');
  const { InvalidEdit } = await import('../../runtime/src/store/annotations');
  const { ImportError, ExportError } = await import('../../runtime/src/exchange/types');
  const { TrainerError } = await import('../../runtime/src/train/trainer-process');
  const { DecisionError } = await import('../../runtime/src/evaluate/decisions');
  const cases: Array<[Error, number, number, string]> = [
    [new UsageError('--steps must be a positive integer'), ErrorCodes.InvalidParams, ExitCodes.Usage, 'UsageError'],
    [new ConflictError('run 3 is running'), ErrorCodes.Conflict, ExitCodes.Failure, 'ConflictError'],
    [new ModelError('no such file'), ErrorCodes.ModelError, ExitCodes.Failure, 'ModelError'],
    [new EngineError('unknown task', 'unknown_task'), ErrorCodes.EngineError, ExitCodes.Failure, 'EngineError'],
    [new WorkerFailure('died', 'worker_died'), ErrorCodes.WorkerFailure, ExitCodes.Failure, 'WorkerFailure'],
    [new StoreError('locked'), ErrorCodes.StoreError, ExitCodes.Failure, 'StoreError'],
    [new InvalidEdit('nothing to merge'), ErrorCodes.InvalidEdit, ExitCodes.Failure, 'InvalidEdit'],
    [new ImportError([{ file: 'a.jsonl', line: 2, message: 'not JSON' }]), ErrorCodes.ImportError, ExitCodes.Failure, 'ImportError'],
    [new ExportError('/ro/out.jsonl', 'read-only'), ErrorCodes.ExportError, ExitCodes.Failure, 'ExportError'],
    [new TrainerError('the trainer stopped'), ErrorCodes.TrainerError, ExitCodes.Failure, 'TrainerError'],
    [new DecisionError('no transition set'), ErrorCodes.InvalidParams, ExitCodes.Failure, 'DecisionError'],
    // An episode that failed answers with its cause's code; a cause that is a bug stays Internal.
    [new EpisodeFailure(undefined, new WorkerFailure('timed out', 'timeout')), ErrorCodes.WorkerFailure, ExitCodes.Failure, 'EpisodeFailure'],
    [new EpisodeFailure(undefined, new TypeError('x is undefined')), ErrorCodes.Internal, ExitCodes.Failure, 'EpisodeFailure'],
  ];
  for (const [error, rpcCode, exitCode, name] of cases) {
    assert.ok(error instanceof StudioError, name);
    assert.deepEqual(
      [error.name, (error as InstanceType<typeof StudioError>).rpcCode, (error as InstanceType<typeof StudioError>).exitCode],
      [name, rpcCode, exitCode],
    );
  }
  assert.equal(new Set(Object.values(ErrorCodes)).size, Object.keys(ErrorCodes).length, 'codes are distinct');
});

test('the CLI builds the same requests as the server accepts: defaults, a seed of 0, refusals named by option', () => {
  const request = cliRequest('agent/evaluate', { env: 'alfworld', split: 'valid_seen', seed: 0, limit: undefined });
  assert.deepEqual(request, requests['agent/evaluate'].params.parse({ env: 'alfworld', split: 'valid_seen', seed: 0 }));
  assert.equal(request.seed, 0);
  assert.throws(
    () => cliRequest('agent/evaluate', { env: 'alfworld', split: 'valid_seen', perTask: 0, maxSteps: NaN }),
    (e: unknown) => e instanceof UsageError && /^--per-task: Too small.*; --max-steps: .*NaN/.test(e.message),
  );
});

/** Every field name a schema declares (record keys are data, not names, and are skipped). */
function fieldNames(schema: unknown, seen = new Set<unknown>()): string[] {
  if (!schema || typeof schema !== 'object' || seen.has(schema)) return [];
  seen.add(schema);
  const def = (schema as { _zod?: { def?: Record<string, unknown> } })._zod?.def;
  if (!def) return [];
  const inner = (...keys: string[]) => keys.flatMap((k) => fieldNames(def[k], seen));
  switch (def.type) {
    case 'object': {
      const shape = def.shape as Record<string, unknown>;
      return Object.entries(shape).flatMap(([k, v]) => [k, ...fieldNames(v, seen)]);
    }
    case 'union':
      return (def.options as unknown[]).flatMap((o) => fieldNames(o, seen));
    case 'record':
      return inner('valueType');
    case 'tuple':
      return (def.items as unknown[]).flatMap((o) => fieldNames(o, seen));
    case 'lazy':
      return fieldNames((def.getter as () => unknown)(), seen);
    default:
      return inner('element', 'innerType', 'in', 'out', 'left', 'right');
  }
}

test('the camelCase boundaries (JSON-RPC, webviews, environment workers) name every field in camelCase', async () => {
  const { workerResults } = await import('../../runtime/src/protocol/env-worker');
  const { notifications } = await import('../../runtime/src/protocol/rpc');
  const schemas = [
    ...Object.values(requests).flatMap((r) => [r.params, r.result]),
    ...Object.values(notifications),
    WebviewToHost,
    HostToWebview,
    ...Object.values(workerResults),
  ];
  const names = new Set(schemas.flatMap((s) => fieldNames(s)));
  assert.ok(names.size > 100, `only ${names.size} names found: the walk missed the schemas`);
  assert.deepEqual(
    [...names].filter((n) => !/^[a-z][a-zA-Z0-9]*$/.test(n)),
    [],
  );
  for (const method of [...Object.keys(requests), ...Object.keys(workerResults)]) assert.match(method, /^([a-z]+\/)?[a-z][a-zA-Z]*$/);
});

test("each view takes only its own messages: the inspector refuses the curves view's, the host refuses a view's stray ones", async () => {
  const { VIEW_MESSAGES, checkMessage } = await import('../../runtime/src/protocol/webview');
  const runs = { type: 'runs', runs: [], selected: [] };
  assert.equal(checkMessage(VIEW_MESSAGES.curves.toView, runs).ok, true);
  const refused = checkMessage(VIEW_MESSAGES.inspector.toView, runs);
  assert.equal(refused.ok, false);
  assert.match(refused.ok ? '' : refused.reason, /^a 'runs' message/);
  assert.equal(checkMessage(VIEW_MESSAGES.annotator.toHost, { type: 'selectRuns', runIds: [1] }).ok, false);
  assert.equal(checkMessage(VIEW_MESSAGES.curves.toHost, { type: 'selectRuns', runIds: [1] }).ok, true);
  // Together the views' unions are exactly the messages of the whole protocol.
  const types = (u: { options: ReadonlyArray<{ shape: { type: { value: string } } }> }) => u.options.map((o) => o.shape.type.value);
  const all = Object.values(VIEW_MESSAGES);
  assert.deepEqual([...new Set(all.flatMap((m) => types(m.toView)))].sort(), types(HostToWebview).sort());
  assert.deepEqual([...new Set(all.flatMap((m) => types(m.toHost)))].sort(), types(WebviewToHost).sort());
});
