/**
 * Training samples for other trainers, through the CLI on real demonstrations (ScienceWorld's gold path on boil and
 * ALFWorld's hand-coded expert on one valid_train game, rule-annotated): sharegpt and openai-chat files hold, per
 * decision, exactly the agent's own transitions (system + user = the prompt, assistant = the target); the flat agent's
 * file holds one conversation per trajectory with the expert's actions in order. The default model's chat template
 * (transformers, from the GGUF) renders every sample, as TRL and LLaMA-Factory would. Unannotated episodes are named.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { agentTransitions } from '../../runtime/src/agent/agent-transitions';
import { DEFAULT_TOKEN_MODEL } from '../../runtime/src/agent/token-measure';
import { DatasetStore } from '../../runtime/src/store/dataset-store';
import { loadTransitionEpisodes, type TransitionEpisode } from '../../runtime/src/store/transitions';
import { root, runCli } from './helpers';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stephrl-chat-export-'));
const db = path.join(dir, 'dataset.db');
let episodes: TransitionEpisode[];

after(() => fs.rmSync(dir, { recursive: true, force: true }));

async function cliOk(args: string[]): Promise<string> {
  const result = await runCli([...args, '--db', db], { timeoutMs: 300_000 });
  assert.equal(result.code, 0, `stephrl ${args.join(' ')}\n${result.stderr}`);
  return result.stdout;
}

async function exported(format: string, agent: string): Promise<Array<Record<string, unknown>>> {
  const out = path.join(dir, `${agent}.${format}.jsonl`);
  await cliOk(['dataset', 'export', '--format', format, '--agent', agent, '--out', out]);
  return fs
    .readFileSync(out, 'utf8')
    .trimEnd()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

interface Message {
  role: string;
  content: string;
}

before(async () => {
  await cliOk(['demos', '--env', 'scienceworld', '--split', 'train', '--tasks', 'boil', '--limit', '1']);
  await cliOk(['demos', '--env', 'alfworld', '--split', 'valid_train', '--limit', '1']);
  await cliOk(['annotate']);
  const store = await DatasetStore.open(db, { readonly: true });
  try {
    episodes = await loadTransitionEpisodes(store.db, {});
  } finally {
    await store.close();
  }
  assert.equal(episodes.length, 2);
});

for (const agent of ['stephrl', 'hrl-history'] as const) {
  test(`${agent}: one openai-chat sample per decision, the prompt as system + user and the target as assistant`, async () => {
    const samples = await exported('openai-chat', agent);
    const transitions = episodes.flatMap(agentTransitions(agent));
    assert.equal(samples.length, transitions.length);
    samples.forEach((sample, i) => {
      assert.deepEqual(Object.keys(sample), ['messages'], 'OpenAI chat files carry messages only');
      const messages = sample.messages as Message[];
      assert.deepEqual(
        messages.map((m) => m.role),
        ['system', 'user', 'assistant'],
      );
      const [system, user, assistant] = messages as [Message, Message, Message];
      const t = transitions[i]!;
      assert.ok(t.state.startsWith(system.content) && t.state.endsWith(user.content), `sample ${i}: the prompt is split, not changed`);
      assert.equal(t.state.slice(system.content.length).trim(), user.content.trim());
      assert.equal(assistant.content, t.target);
    });
    const roles = new Set(transitions.map((t) => t.role));
    assert.deepEqual([...roles].sort(), agent === 'stephrl' ? ['high', 'low', 'progress'] : ['high', 'low']);
  });
}

test('react: one sharegpt conversation per trajectory, the expert actions as gpt turns in order', async () => {
  const samples = await exported('sharegpt', 'react');
  assert.equal(samples.length, episodes.length);
  samples.forEach((sample, i) => {
    const e = episodes[i]!;
    assert.equal(sample.id, String(e.id));
    const turns = sample.conversations as Array<{ from: string; value: string }>;
    assert.equal(turns[0]!.from, 'system');
    assert.ok(turns[1]!.value.startsWith(`Task: ${e.taskDescription}`));
    assert.deepEqual(
      turns.filter((t) => t.from === 'gpt').map((t) => t.value),
      e.steps.map((s) => s.action),
    );
    turns.slice(1).forEach((t, k) => assert.equal(t.from, k % 2 === 0 ? 'human' : 'gpt', `turn ${k + 1} alternates`));
    assert.equal(turns.at(-1)!.from, 'gpt', 'a trajectory ends on its last action');
  });
});

test('the default model chat template renders every exported sample (as TRL and LLaMA-Factory do)', async () => {
  const files = [...(await Promise.all([exported('openai-chat', 'stephrl'), exported('openai-chat', 'react')]))];
  const input = path.join(dir, 'render.json');
  fs.writeFileSync(input, JSON.stringify(files.flat().map((s) => s.messages)));
  const script = [
    'import json, os, sys',
    'from transformers import AutoTokenizer',
    'model = sys.argv[1]',
    'tok = AutoTokenizer.from_pretrained(os.path.dirname(model), gguf_file=os.path.basename(model))',
    'samples = json.load(open(sys.argv[2]))',
    'rendered = [tok.apply_chat_template(m, tokenize=False) for m in samples]',
    'print(json.dumps({"rendered": len(rendered), "allContentKept": all(m[-1]["content"] in r for m, r in zip(samples, rendered))}))',
  ].join('\n');
  const run = spawnSync(process.execPath, [path.join(root, 'runtime/setup/run-python.mjs'), '-c', script, DEFAULT_TOKEN_MODEL, input], {
    encoding: 'utf8',
    timeout: 180_000,
  });
  assert.equal(run.status, 0, run.stderr);
  const result = JSON.parse(run.stdout.trim().split('\n').at(-1)!);
  assert.deepEqual(result, { rendered: files.flat().length, allContentKept: true });
});

test('episodes without annotations are named before a file is written; the flat agent does not need them', async () => {
  const bare = path.join(dir, 'bare.db');
  fs.copyFileSync(db, bare);
  const store = await DatasetStore.open(bare);
  try {
    await store.db.run('DELETE FROM subtasks');
  } finally {
    await store.close();
  }
  const out = path.join(dir, 'refused.jsonl');
  const refused = await runCli(['dataset', 'export', '--format', 'sharegpt', '--out', out, '--db', bare]);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /2 of these episodes give no stephrl samples .*annotate them first/);
  assert.ok(!fs.existsSync(out), 'nothing written');
  const flat = await runCli(['dataset', 'export', '--format', 'openai-chat', '--agent', 'react', '--out', out, '--db', bare]);
  assert.equal(flat.code, 0, flat.stderr);
  assert.equal(fs.readFileSync(out, 'utf8').trimEnd().split('\n').length, 2);
});
