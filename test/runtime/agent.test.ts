/**
 * The agents and the evaluation harness on the real engines. The tiny random GGUF makes the plumbing fast and
 * deterministic: its answers are noise, so the checks are invariants that must hold whatever the model writes
 * (the loop's state machine, accounting sums, resume); constrained decoding turns the noise into valid commands.
 * The real default model then runs one short episode of every agent in both environments.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadEmbeddedModel, stopIndex } from '../../runtime/src/llm/embedded';
import { commandGrammar } from '../../runtime/src/llm/grammar';
import { ContextOverflowError, ModelError, type LanguageModel, type ParallelLayout } from '../../runtime/src/llm/types';
import { runEvaluation } from '../../runtime/src/evaluate/evaluation';
import { timeLine } from '../../runtime/src/cli/agent-commands';
import { DatasetStore } from '../../runtime/src/store/dataset-store';
import { NONE, parseFlatAction, parseLowLevelOutput, parseProgress, parseSubtask } from '../../runtime/src/agent/prompts';
import { AGENT_ROLES, type AgentKind, type EpisodeSink } from '../../runtime/src/agent/types';
import { DECISION_MAX_TOKENS, EpisodeDriver, NO_ACTION } from '../../runtime/src/agent/episode-driver';
import { WorkerPool } from '../../runtime/src/env/pool';
import { defaultModelPath, resolveAlfworldData } from '../../runtime/src/util/paths';
import type { EnvKind } from '../../runtime/src/protocol/environment';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'stephrl-agent-'));
const tinyModel = path.join(work, 'tiny.gguf');
before(async () => {
  // The fixture is an ES module with top-level await: tsx runs this file as CommonJS, so it is imported here.
  const { writeTinyLlamaGguf } = await import('../fixtures/tinygguf.mjs');
  writeTinyLlamaGguf(tinyModel, { nCtx: 16384 });
});
const alfworldData = resolveAlfworldData();

async function tiny(
  options: { sessions?: number; slots?: number; contextSize?: number; prefixReuse?: boolean; parallelLayout?: ParallelLayout; threads?: number } = {},
): Promise<LanguageModel> {
  return loadEmbeddedModel({
    modelPath: tinyModel,
    gpu: false,
    threads: options.threads ?? 1,
    ...(options.parallelLayout ? { parallelLayout: options.parallelLayout } : {}),
    sessions: options.sessions ?? 1,
    slotsPerSession: options.slots ?? 3,
    contextSize: options.contextSize ?? 8192,
    ...(options.prefixReuse !== undefined ? { prefixReuse: options.prefixReuse } : {}),
  });
}

async function evaluate(
  db: string,
  model: LanguageModel,
  o: {
    env: EnvKind;
    split: string;
    agent: AgentKind;
    limit: number;
    maxSteps: number;
    constrained?: boolean;
    parallel?: number;
    signal?: AbortSignal;
    tasks?: string[];
    repeatStop?: boolean;
  },
) {
  const store = await DatasetStore.open(db);
  try {
    const summary = await runEvaluation(store, {
      env: o.env,
      split: o.split,
      agent: o.agent,
      model,
      decoding: { temperature: 0, constrained: o.constrained ?? false, keepTexts: true, ...(o.repeatStop === false ? { repeatStop: false } : {}) },
      limit: o.limit,
      maxSteps: o.maxSteps,
      alfworldData,
      ...(o.tasks ? { tasks: o.tasks } : {}),
      ...(o.parallel ? { parallel: o.parallel } : {}),
      ...(o.signal ? { signal: o.signal } : {}),
    });
    const episodes = await Promise.all((await store.episodes.list({ source: 'policy' })).map((e) => store.episodes.get(e.id)));
    return { summary, episodes };
  } finally {
    await store.close();
  }
}

test('output parsers and stop strings', () => {
  assert.deepEqual(parseLowLevelOutput(' go to kitchen; True\nmore'), { action: 'go to kitchen', subtaskDone: true });
  assert.deepEqual(parseLowLevelOutput('\n\nopen door ; false'), { action: 'open door', subtaskDone: false });
  assert.deepEqual(parseLowLevelOutput('look around'), { action: 'look around', subtaskDone: false });
  assert.equal(parseLowLevelOutput('  \n '), null);
  assert.equal(parseSubtask('\n2. "find the apple"'), 'find the apple');
  assert.equal(parseSubtask('Next subtask: heat the mug'), 'heat the mug');
  assert.equal(parseSubtask(''), null);
  assert.equal(parseFlatAction('> take apple 1 from table 1'), 'take apple 1 from table 1');
  assert.equal(parseProgress('   ', 'kept'), 'kept');
  assert.equal(parseProgress('Updated progress: at the sink', NONE), 'at the sink');
  assert.equal(stopIndex('\n\nabc\ndef', ['\n']), 5);
  assert.equal(stopIndex('\n\n', ['\n']), -1);
  assert.equal(stopIndex('ab;cd', ['\n', ';']), 2);
});

test('a command grammar admits exactly its commands', async () => {
  const commands = ['go to kitchen', 'go to hallway', 'go to kitchen table', 'open "door"', 'look around'];
  const grammar = commandGrammar(commands, { withSubtaskFlag: true });
  assert.match(grammar, /^root ::= command "; " flag$/m);
  const model = await tiny({ slots: 1 });
  try {
    const session = await model.openSession(['low']);
    const seen = new Set<string>();
    for (let seed = 1; seed <= 8; seed++) {
      const g = await session.generate({
        role: 'low',
        prefix: 'act: ',
        state: `${seed}`,
        maxTokens: 64,
        temperature: 1,
        seed,
        stop: ['\n'],
        grammar,
      });
      const parsed = parseLowLevelOutput(g.text);
      assert.ok(parsed && commands.includes(parsed.action), `'${g.text}' is not a command of the grammar`);
      assert.match(g.text, /; (True|False)$/);
      seen.add(parsed.action);
    }
    assert.ok(seen.size >= 2, 'sampling at temperature 1 explores more than one command');
    await session.close();
  } finally {
    await model.close();
  }
});

test('STEP-HRL on ALFWorld with constrained decoding: the loop, the records and the token sums agree', async () => {
  const model = await tiny();
  const db = path.join(work, 'stephrl.db');
  try {
    const { summary, episodes } = await evaluate(db, model, {
      env: 'alfworld',
      split: 'valid_seen',
      agent: 'stephrl',
      limit: 2,
      maxSteps: 12,
      constrained: true,
    });
    assert.equal(summary.episodes, 2);
    assert.equal(summary.agent, 'stephrl+grammar');
    assert.equal(summary.invalidActionRate, 0, 'constrained actions are always valid commands');
    // Where the episodes' time went: each role's model time is the sum of its calls' latencies, and the parts add up.
    const time = summary.time!;
    assert.equal(time.episodes, 2);
    const calls = episodes.flatMap((e) => e.modelCalls);
    for (const role of ['high', 'low', 'progress'] as const) {
      const ms = calls.filter((c) => c.role === role).reduce((a, c) => a + c.latencyMs, 0);
      assert.ok(Math.abs(time.modelSeconds[role]! - ms / 1000) < 0.006, `${role}: ${time.modelSeconds[role]} s against ${ms} ms`);
    }
    assert.ok(time.environmentSeconds > 0 && time.resetSeconds > 0 && time.otherSeconds > -0.05);
    const parts = Object.values(time.modelSeconds).reduce((a, b) => a + b, 0) + time.environmentSeconds + time.resetSeconds + time.otherSeconds;
    assert.ok(Math.abs(parts - time.episodeSeconds) < 0.05, `parts ${parts} s, episodes ${time.episodeSeconds} s`);
    const total = episodes.reduce((a, e) => a + (e.seconds ?? 0), 0);
    assert.ok(Math.abs(time.episodeSeconds - total) < 0.5, `episode time ${time.episodeSeconds} s, stored ${total} s`);
    assert.match(timeLine(time), /^time per episode: [\d.]+ s: model [\d.]+ s \(planner [\d.]+, actor [\d.]+, progress [\d.]+\), environment/);
    const store = await DatasetStore.open(db);
    const metrics = await store.runs.metrics(summary.runId!);
    await store.close();
    assert.deepEqual(
      Object.fromEntries(metrics.filter((m) => ['eval/episodes', 'eval/successRate'].includes(m.name)).map((m) => [m.name, m.value])),
      { 'eval/episodes': 2, 'eval/successRate': summary.successRate },
      'the run records its figures as metrics',
    );
    for (const e of episodes) {
      assert.equal(e.status, 'complete');
      assert.ok(e.stepCount >= 1 && e.stepCount <= 12);
      if (!e.won) assert.ok(['step_cap', 'repeat'].includes(e.stoppedBy ?? ''), e.stoppedBy ?? 'no stop recorded');
      // Subtasks cover the steps exactly and each one ends where the policy's flag said so (or at the last step).
      assert.equal(e.subtasks[0]!.firstStep, 0);
      assert.equal(e.subtasks.at(-1)!.lastStep, e.stepCount - 1);
      const lows = e.modelCalls.filter((c) => c.role === 'low');
      const highs = e.modelCalls.filter((c) => c.role === 'high');
      const progressCalls = e.modelCalls.filter((c) => c.role === 'progress');
      assert.equal(lows.length, e.stepCount);
      assert.equal(progressCalls.length, e.stepCount);
      assert.equal(highs.length, e.subtasks.length);
      e.subtasks.forEach((s, k) => {
        if (k > 0) assert.equal(s.firstStep, e.subtasks[k - 1]!.lastStep + 1);
        assert.equal(s.provenance, 'policy');
        for (let t = s.firstStep; t <= s.lastStep; t++) {
          const flag = parseLowLevelOutput(lows[t]!.completion!)!.subtaskDone;
          if (t < s.lastStep) assert.equal(flag, false, `step ${t} is inside its subtask`);
          else if (t < e.stepCount - 1) assert.equal(flag, true, `step ${t} ended its subtask`);
          // Local progress starts from None at every subtask's first step.
          assert.equal(lows[t]!.prompt!.includes(`Progress: ${NONE}\n`), t === s.firstStep);
        }
        assert.equal(highs[k]!.stepIdx, s.firstStep);
        // The planner sees the final progress of the previous subtask.
        if (k > 0) assert.ok(highs[k]!.prompt!.includes(`Progress of the last subtask: ${e.progress[e.subtasks[k - 1]!.lastStep]!.text}`));
      });
      assert.equal(e.progress.length, e.stepCount);
      // Token totals are the sums over the model calls; prefix reuse served part of the prompts from the cache.
      assert.equal(
        e.promptTokens,
        e.modelCalls.reduce((a, c) => a + c.promptTokens, 0),
      );
      assert.equal(
        e.completionTokens,
        e.modelCalls.reduce((a, c) => a + c.completionTokens, 0),
      );
      assert.ok(e.cachedPromptTokens > 0 && e.cachedPromptTokens < e.promptTokens);
      for (const c of e.modelCalls) assert.ok(c.cachedPromptTokens < c.promptTokens && c.latencyMs > 0);
    }
  } finally {
    await model.close();
  }
});

test('a greedy STEP-HRL episode that comes back to a state ends there, counted as the episode played out', async () => {
  const model = await tiny();
  const run = (repeatStop: boolean) =>
    evaluate(path.join(work, `repeat-${repeatStop}.db`), model, {
      env: 'alfworld',
      split: 'valid_seen',
      agent: 'stephrl',
      limit: 3,
      maxSteps: 30,
      constrained: true,
      repeatStop,
    });
  try {
    const played = await run(false);
    const stopped = await run(true);
    assert.equal(played.summary.repeatStops, 0);
    assert.ok(stopped.summary.repeatStops >= 1, 'the random model walks in circles');
    for (const [k, e] of stopped.episodes.entries()) {
      const full = played.episodes[k]!;
      assert.equal(e.game, full.game);
      assert.equal(e.won, full.won);
      // The stopped episode is the played one cut short: the same actions, and from the cycle's start on the full
      // episode goes round it.
      assert.deepEqual(
        e.steps.map((s) => s.action),
        full.steps.slice(0, e.stepCount).map((s) => s.action),
      );
      if (e.stoppedBy !== 'repeat') continue;
      assert.equal(full.stoppedBy, 'step_cap');
      const store = await DatasetStore.open(path.join(work, 'repeat-true.db'));
      const from = (await store.episodes.repeatCycles([e.id])).get(e.id)!.from;
      await store.close();
      const period = e.stepCount - from;
      for (let t = e.stepCount; t < full.stepCount; t++) assert.equal(full.steps[t]!.action, full.steps[t - period]!.action, `step ${t}`);
    }
    // Counted to the cap, the figures are the played-out run's (cached tokens aside: the cache held other prompts).
    for (const figure of [
      'successRate',
      'meanSteps',
      'invalidActionRate',
      'promptTokensPerEpisode',
      'completionTokensPerEpisode',
      'decisions',
    ] as const)
      assert.equal(stopped.summary[figure], played.summary[figure], figure);
  } finally {
    await model.close();
  }
});

test('an evaluation resumes: an interrupted run keeps finished episodes and a rerun plays only the rest', async () => {
  const db = path.join(work, 'resume.db');
  const model = await tiny({ slots: 1 });
  try {
    const controller = new AbortController();
    const store = await DatasetStore.open(db);
    let finished = 0;
    await runEvaluation(store, {
      env: 'alfworld',
      split: 'valid_seen',
      agent: 'react',
      model,
      limit: 3,
      maxSteps: 4,
      alfworldData,
      decoding: { temperature: 0, constrained: false, keepTexts: false },
      onEpisode: () => {
        if (++finished === 1) controller.abort();
      },
      signal: controller.signal,
    });
    const afterStop = await store.episodes.list({ source: 'policy' });
    const runs = await store.runs.list('eval');
    const kept = await store.episodes.get(afterStop.find((e) => e.status === 'complete')!.id);
    await store.close();
    assert.ok(kept.modelCalls.length > 0 && kept.modelCalls.every((c) => c.prompt === null && c.completion === null), 'texts were not kept');
    assert.equal(afterStop.filter((e) => e.status === 'complete').length, 1);
    assert.equal(runs[0]!.status, 'interrupted');
    assert.ok(
      afterStop.every((e) => e.status !== 'running'),
      'nothing is left running',
    );

    const { summary, episodes } = await evaluate(db, model, { env: 'alfworld', split: 'valid_seen', agent: 'react', limit: 3, maxSteps: 4 });
    assert.equal(summary.episodes, 3);
    assert.equal(summary.missing, 0);
    assert.equal(episodes.filter((e) => e.status === 'complete').length, 3, 'the finished episode was not played again');
    // The flat prompt carries the whole history: it grows with every step.
    for (const e of episodes.filter((x) => x.status === 'complete')) {
      const sizes = e.modelCalls.map((c) => c.promptTokens);
      for (let i = 1; i < sizes.length; i++) assert.ok(sizes[i]! > sizes[i - 1]!, `react prompt ${i} grows`);
    }
  } finally {
    await model.close();
  }
});

test('parallel episodes share one model; history-HRL keeps the history inside the subtask', async () => {
  const model = await tiny({ sessions: 2, slots: AGENT_ROLES['hrl-history'].length });
  try {
    const { summary, episodes } = await evaluate(path.join(work, 'parallel.db'), model, {
      env: 'scienceworld',
      split: 'test',
      agent: 'hrl-history',
      limit: 2,
      maxSteps: 4,
      parallel: 2,
      tasks: ['boil'],
    });
    assert.equal(summary.episodes, 2);
    for (const e of episodes) {
      assert.equal(e.stepCount, 4);
      assert.equal(e.progress.length, 0, 'no local progress in the baseline');
      assert.ok(e.modelCalls.every((c) => c.role === 'high' || c.role === 'low'));
      const lows = e.modelCalls.filter((c) => c.role === 'low');
      for (const s of e.subtasks) {
        if (s.lastStep > s.firstStep) assert.ok(lows[s.lastStep]!.prompt!.includes(`> ${e.steps[s.firstStep]!.action}`));
      }
    }
  } finally {
    await model.close();
  }
});

test('parallel sessions on the CPU decode side by side in their own contexts, with the answers each gives alone', async () => {
  const prompts = ['Task: boil water.\nObservation: a kitchen with a stove.\nAction:', 'Task: find a plant.\nObservation: a greenhouse.\nAction:'];
  const ask = (session: Awaited<ReturnType<LanguageModel['openSession']>>, state: string) =>
    session.generate({ role: 'low', prefix: 'You are an agent.\n', state, maxTokens: 12, temperature: 0, stop: [] });
  const alone = await tiny({ slots: 1 });
  const expected: string[] = [];
  try {
    const session = await alone.openSession(['low']);
    for (const prompt of prompts) expected.push((await ask(session, prompt)).text);
    await session.close();
  } finally {
    await alone.close();
  }
  // Two threads in all: a context and one thread per session.
  const model = await tiny({ sessions: 2, slots: 1, threads: 2, parallelLayout: 'contexts' });
  try {
    assert.deepEqual([model.info.threads, model.info.parallelLayout], [2, 'contexts'], 'what a run records of the layout');
    const sessions = await Promise.all([model.openSession(['low']), model.openSession(['low'])]);
    const answers = await Promise.all(sessions.map((session, i) => ask(session, prompts[i]!)));
    assert.deepEqual(
      answers.map((a) => a.text),
      expected,
    );
    // A third session waits for a free context, then gets the one given back.
    let third: Awaited<ReturnType<LanguageModel['openSession']>> | null = null;
    const waiting = model.openSession(['low']).then((s) => (third = s));
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(third, null, 'both contexts are in use');
    await sessions[0]!.close();
    await waiting;
    assert.equal((await ask(third!, prompts[1]!)).text, expected[1]);
    await Promise.all([sessions[1]!.close(), third!.close()]);
  } finally {
    await model.close();
  }
});

test('an empty model output is an invalid step sent as "(no action)", not a failed episode', async () => {
  const model = await tiny();
  const pool = new WorkerPool('alfworld', { size: 1 });
  try {
    const session = await model.openSession(AGENT_ROLES.stephrl);
    await pool.use(async (env) => {
      const [item] = await env.listSplit('valid_seen', { data: alfworldData });
      const reset = await env.reset({ env: 'alfworld', game: (item as { game: string }).game }, { maxSteps: 5 });
      const driver = new EpisodeDriver({
        env,
        kind: 'alfworld',
        reset,
        session,
        decoding: { temperature: 0, constrained: false, keepTexts: true },
        sink: { step: async () => {}, subtask: async () => {} } as unknown as EpisodeSink,
      });
      const { step } = await driver.act('  \n');
      assert.equal(step.action, NO_ACTION);
      assert.equal(step.invalid, true);
      assert.equal(step.observation, 'Nothing happens.');
    });
    await session.close();
  } finally {
    await pool.close();
    await model.close();
  }
});

test('a prompt longer than the context fails its episode with a clear error; the run goes on and reports it', async () => {
  const model = await tiny({ contextSize: 256 });
  try {
    const { summary, episodes } = await evaluate(path.join(work, 'overflow.db'), model, {
      env: 'alfworld',
      split: 'valid_seen',
      agent: 'stephrl',
      limit: 2,
      maxSteps: 3,
    });
    assert.equal(summary.failures.length, 2);
    assert.match(summary.failures[0]!, /prompt has \d+ tokens and may need \d+ more for the answer, but the context holds \d+/);
    assert.ok(episodes.every((e) => e.status === 'failed' && /--context-size/.test(e.error ?? '')));
  } finally {
    await model.close();
  }
  const direct = await tiny({ contextSize: 256, slots: 1 });
  try {
    const session = await direct.openSession(['flat']);
    await assert.rejects(
      session.generate({ role: 'flat', prefix: '', state: 'x'.repeat(2000), maxTokens: 8, temperature: 0, stop: [] }),
      ContextOverflowError,
    );
  } finally {
    await direct.close();
  }
});

test('the flat agent leaves out its oldest steps when the whole history outgrows the context, and says so', async () => {
  const play = async (contextSize: number, db: string) => {
    const model = await tiny({ contextSize, slots: 1 });
    try {
      return await evaluate(path.join(work, db), model, {
        env: 'alfworld',
        split: 'valid_seen',
        agent: 'react',
        limit: 1,
        maxSteps: 8,
        constrained: true,
      });
    } finally {
      await model.close();
    }
  };
  const whole = (await play(8192, 'flat-whole.db')).episodes[0]!;
  const tokens = whole.modelCalls.map((c) => c.promptTokens);
  assert.ok(tokens.at(-1)! > tokens[0]! + 100, `the history grows: ${tokens.join(', ')}`);
  // A context that holds the first prompts but not the last ones.
  const contextSize = Math.round((tokens[0]! + tokens.at(-1)!) / 2) + DECISION_MAX_TOKENS.flat;
  const { summary, episodes } = await play(contextSize, 'flat-window.db');
  const windowed = episodes[0]!;
  assert.deepEqual(summary.failures, []);
  assert.equal(windowed.status, 'complete');
  assert.equal(windowed.steps.length, 8);
  assert.ok(windowed.modelCalls.every((c) => c.promptTokens + DECISION_MAX_TOKENS.flat <= contextSize));
  const prompts = windowed.modelCalls.map((c) => c.prompt ?? '');
  assert.ok(!prompts[0]!.includes('left out to fit the context'));
  assert.match(prompts.at(-1)!, /\(the first \d+ steps are left out to fit the context\)/);
  // What is shown is the latest steps: the last prompt ends with the step before it.
  assert.ok(prompts.at(-1)!.includes(`> ${windowed.steps.at(-2)!.action}`));
});

test('bad model files give errors that name the file and the reason', async () => {
  const missing = path.join(work, 'nope.gguf');
  await assert.rejects(
    loadEmbeddedModel({ modelPath: missing, gpu: false }),
    (e: Error) => e instanceof ModelError && e.message.includes(missing) && /does not exist/.test(e.message),
  );
  const text = path.join(work, 'notes.gguf');
  fs.writeFileSync(text, 'these are not weights');
  await assert.rejects(loadEmbeddedModel({ modelPath: text, gpu: false }), /is not a GGUF file/);
  const truncated = path.join(work, 'truncated.gguf');
  fs.writeFileSync(truncated, fs.readFileSync(tinyModel).subarray(0, 40_000));
  await assert.rejects(
    loadEmbeddedModel({ modelPath: truncated, gpu: false, threads: 1 }),
    (e: Error) => e instanceof ModelError && e.message.includes(truncated) && /llama\.cpp: /.test(e.message),
  );
  // A base model is not a LoRA adapter of itself.
  await assert.rejects(
    loadEmbeddedModel({ modelPath: tinyModel, adapterPath: tinyModel, gpu: false, threads: 1, contextSize: 512 }),
    (e: Error) => e instanceof ModelError && e.message.includes(`the adapter ${tinyModel}`),
  );
});

test('prefix reuse serves the role prefix from the KV cache; without it nothing is cached', async () => {
  for (const prefixReuse of [true, false]) {
    const model = await tiny({ slots: 1, prefixReuse });
    try {
      const session = await model.openSession(['low']);
      const prefix = 'You are the low-level actor. Write the next action.\n\n';
      const calls = [];
      for (const room of ['kitchen', 'hallway', 'garden']) {
        calls.push(
          await session.generate({ role: 'low', prefix, state: `Observation: the ${room}\nAction:`, maxTokens: 4, temperature: 0, stop: [] }),
        );
      }
      const cached = calls.slice(1).map((c) => c.cachedPromptTokens);
      if (prefixReuse)
        assert.ok(
          cached.every((c) => c >= prefix.length - 2),
          `cached ${cached}`,
        );
      else assert.deepEqual(cached, [0, 0]);
      await session.close();
    } finally {
      await model.close();
    }
  }
});

test(
  'the default model plays a short episode of every agent in both environments',
  { skip: !fs.existsSync(defaultModelPath) && 'the default model is not installed (npm run setup)' },
  async () => {
    const db = path.join(work, 'default-model.db');
    for (const agent of ['stephrl', 'react', 'hrl-history'] as const) {
      const model = await loadEmbeddedModel({
        modelPath: defaultModelPath,
        gpu: false,
        threads: 2,
        slotsPerSession: AGENT_ROLES[agent].length,
        contextSize: 8192,
      });
      try {
        for (const [env, split] of [
          ['scienceworld', 'test'],
          ['alfworld', 'valid_seen'],
        ] as const) {
          const { summary } = await evaluate(db, model, { env, split, agent, limit: 1, maxSteps: 3 });
          assert.equal(summary.episodes, 1, `${agent} on ${env}: ${summary.failures.join('; ')}`);
          assert.equal(summary.meanSteps, 3);
          assert.ok(summary.promptTokensPerEpisode > 0 && summary.completionTokensPerDecision > 0);
        }
      } finally {
        await model.close();
      }
    }
    const store = await DatasetStore.open(db);
    try {
      const episodes = await store.episodes.list({ source: 'policy', status: 'complete' });
      assert.deepEqual(new Set(episodes.map((e) => `${e.agent}:${e.env}`)).size, 6);
      assert.ok(episodes.every((e) => e.model === path.basename(defaultModelPath)));
    } finally {
      await store.close();
    }
  },
);
