/** Shipped adapters: found by name where no file of that name exists, listed with their cards, bad cards refused. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { listShippedAdapters, resolveAdapter } from '../../runtime/src/llm/shipped-adapters';

const card = {
  name: 'alfworld',
  title: 'STEP-HRL BC on ALFWorld',
  env: 'alfworld',
  baseModel: 'SmolLM2-135M-Instruct.Q4_1.gguf',
  agent: 'stephrl',
  data: 'tidied expert demonstrations of the 200 valid_train games',
  command: 'stephrl pipeline --recipe alfworld',
  steps: 192,
  trainSeconds: 5400,
  machine: '2-core AMD EPYC',
  config: { bc_lr: 0.001 },
  createdAt: '2026-11-30',
  scores: [
    {
      split: 'valid_seen',
      constrained: false,
      episodes: 12,
      successRate: 0.25,
      successInterval: [0.089, 0.532],
      meanSteps: 30,
      command: 'stephrl eval',
    },
  ],
};

function folder(cards: Record<string, unknown>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stephrl-adapters-'));
  for (const [name, c] of Object.entries(cards)) {
    fs.mkdirSync(path.join(dir, name));
    fs.writeFileSync(path.join(dir, name, 'card.json'), JSON.stringify(c));
    fs.writeFileSync(path.join(dir, name, 'adapter.gguf'), 'GGUF');
  }
  return dir;
}

test('a shipped adapter is found by name, a path stays a path, an unknown name says what ships', () => {
  const dir = folder({ alfworld: card });
  const [listed] = listShippedAdapters(dir);
  assert.equal(listed!.name, 'alfworld');
  assert.equal(listed!.path, path.join(dir, 'alfworld', 'adapter.gguf'));
  assert.equal(resolveAdapter('alfworld', dir).path, listed!.path);
  assert.equal(resolveAdapter('alfworld', dir).shipped?.steps, 192);
  assert.deepEqual(resolveAdapter('./some/adapter.gguf', dir), { path: path.resolve('./some/adapter.gguf'), shipped: null });
  assert.throws(
    () => resolveAdapter('scienceworld', dir),
    /no adapter file 'scienceworld' and no shipped adapter of that name \(shipped: alfworld\)/,
  );
  // A file of that name in the working directory wins over the shipped one.
  const cwd = process.cwd();
  const here = fs.mkdtempSync(path.join(os.tmpdir(), 'stephrl-cwd-'));
  fs.writeFileSync(path.join(here, 'alfworld'), 'GGUF');
  try {
    process.chdir(here);
    assert.equal(resolveAdapter('alfworld', dir).shipped, null);
  } finally {
    process.chdir(cwd);
  }
});

test("an environment's name stands for the one adapter shipped for it, and several are named in the error", () => {
  const one = folder({ 'alfworld-stephrl-bc': { ...card, name: 'alfworld-stephrl-bc' } });
  assert.equal(resolveAdapter('alfworld', one).shipped?.name, 'alfworld-stephrl-bc');
  assert.equal(resolveAdapter('alfworld', one).path, path.join(one, 'alfworld-stephrl-bc', 'adapter.gguf'));
  const two = folder({ 'alfworld-a': { ...card, name: 'alfworld-a' }, 'alfworld-b': { ...card, name: 'alfworld-b' } });
  assert.throws(() => resolveAdapter('alfworld', two), /several adapters are shipped for alfworld: name one \(alfworld-a, alfworld-b\)/);
  assert.equal(resolveAdapter('alfworld-b', two).shipped?.name, 'alfworld-b');
});

test('a card that does not match its folder or lacks its scores is refused', () => {
  assert.throws(() => listShippedAdapters(folder({ other: card })), /names the adapter 'alfworld', but its folder is 'other'/);
  assert.throws(() => listShippedAdapters(folder({ alfworld: { ...card, scores: undefined } })), /scores/);
});
