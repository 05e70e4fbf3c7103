import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WorkerLine, workerResults } from '../../runtime/src/protocol/env-worker';
import { EpisodeSpec } from '../../runtime/src/protocol/environment';
import { requests } from '../../runtime/src/protocol/rpc';
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
  assert.ok(WebviewToHost.safeParse({ type: 'recheck' }).success);
  assert.ok(!WebviewToHost.safeParse({ type: 'runCommand', command: 'rm -rf /' }).success);
  assert.ok(!HostToWebview.safeParse({ type: 'runtimeStatus', state: 'ready' }).success);
});
