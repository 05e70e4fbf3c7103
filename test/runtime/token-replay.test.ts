/**
 * Token replay on real expert trajectories (two ScienceWorld test variations, two ALFWorld valid_seen games),
 * counted with the default model's own tokenizer: every agent makes the calls its loop would make, STEP-HRL's texts
 * are the training transitions' states, react's history only grows, hrl-history's history restarts with each
 * subtask, and on ScienceWorld STEP-HRL's prompts cost less per episode than react's. One small measureTokens run
 * checks the I/O path (worker pool, in-memory annotation, tokenizer) end to end.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { RULE_ANNOTATORS, annotatableTrajectory } from '../../runtime/src/annotate/run';
import { WorkerEnvironment } from '../../runtime/src/env/environment';
import { EXPERT_MAX_STEPS, runExpert } from '../../runtime/src/env/expert';
import { loadTokenizer } from '../../runtime/src/llm/embedded';
import type { EnvKind, EpisodeSpec } from '../../runtime/src/protocol/environment';
import type { TransitionEpisode } from '../../runtime/src/store/transitions';
import { deriveTransitions } from '../../runtime/src/agent/stephrl-transitions';
import { agentTransitions } from '../../runtime/src/agent/agent-transitions';
import { resolveAlfworldData } from '../../runtime/src/util/paths';
import { DEFAULT_TOKEN_MODEL, measureTokens, type TokenReport } from '../../runtime/src/agent/token-measure';
import {
  TOKEN_AGENTS,
  episodeTokens,
  quantile,
  replayCalls,
  summarizeTokens,
  tokenTargets,
  transitionEpisode,
  type EpisodeTokens,
  type TokenCounter,
} from '../../runtime/src/agent/token-replay';

/**
 * Gold paths of about 60 steps (quick to play): on short ones (chemistry-mix, 18 steps) react's history is still
 * small and its one call per step costs less than STEP-HRL's two, so "below react" is a claim about typical lengths.
 */
const SCIENCEWORLD_TASKS = ['melt', 'grow-fruit'];
const ALFWORLD_TYPES = ['pick_and_place_simple', 'pick_clean_then_place_in_recep'];

interface Replayed {
  label: string;
  episode: TransitionEpisode;
  tokens: EpisodeTokens;
}

const engines = { scienceworld: new WorkerEnvironment('scienceworld'), alfworld: new WorkerEnvironment('alfworld') };
const replayed: Replayed[] = [];
let tokenizer: { count: TokenCounter; close(): Promise<void> };
let measured: TokenReport;

/** The first split entry of each task (test variations for ScienceWorld, valid_seen games for ALFWorld). */
async function specs(env: EnvKind): Promise<EpisodeSpec[]> {
  const engine = engines[env];
  if (env === 'scienceworld') {
    const entries = await engine.listSplit('test', { tasks: SCIENCEWORLD_TASKS });
    return SCIENCEWORLD_TASKS.map((task) => {
      const entry = entries.find((e) => 'task' in e && e.task === task);
      assert.ok(entry && 'task' in entry, `no test variation of ${task}`);
      return { env, task, variation: entry.variation };
    });
  }
  const entries = await engine.listSplit('valid_seen', { data: resolveAlfworldData(), tasks: ALFWORLD_TYPES });
  return ALFWORLD_TYPES.map((type) => {
    const entry = entries.find((e) => 'taskType' in e && e.taskType === type);
    assert.ok(entry && 'game' in entry, `no valid_seen game of type ${type}`);
    return { env, game: entry.game };
  });
}

async function play(env: EnvKind): Promise<void> {
  for (const spec of await specs(env)) {
    const trajectory = await runExpert(engines[env], spec, { maxSteps: EXPERT_MAX_STEPS });
    const annotatable = annotatableTrajectory(trajectory);
    const episode = transitionEpisode(annotatable, RULE_ANNOTATORS[env](annotatable));
    replayed.push({ label: 'task' in spec ? `${spec.task} ${spec.variation}` : spec.game, episode, tokens: episodeTokens(episode, tokenizer.count) });
  }
}

before(async () => {
  tokenizer = await loadTokenizer(DEFAULT_TOKEN_MODEL);
  // The two engines play side by side while a one-episode measureTokens run goes through its own pool.
  const [, , report] = await Promise.all([play('scienceworld'), play('alfworld'), measureTokens({ env: 'alfworld', limit: 1 })]);
  measured = report;
  assert.equal(replayed.length, SCIENCEWORLD_TASKS.length + ALFWORLD_TYPES.length);
});

after(async () => {
  await Promise.all(Object.values(engines).map((e) => e.close()));
  await tokenizer?.close();
});

const byEnv = (env: EnvKind) => replayed.filter((r) => r.episode.env === env);

test('stephrl makes one planner call per subtask and a low-level and a progress call per step, in loop order', () => {
  for (const { label, episode } of replayed) {
    const calls = replayCalls(episode).stephrl;
    const expected = episode.subtasks.flatMap((s, k) => [
      `high ${k} -`,
      ...Array.from({ length: s.lastStep - s.firstStep + 1 }, (_, i) => [`low ${k} ${s.firstStep + i}`, `progress ${k} ${s.firstStep + i}`]).flat(),
    ]);
    assert.deepEqual(
      calls.map((c) => `${c.role} ${c.subtaskOrdinal} ${c.stepIdx ?? '-'}`),
      expected,
      label,
    );
    assert.ok(
      calls.every((c) => c.prompt.length > 0 && c.completion.length > 0),
      `${label}: an empty prompt or completion`,
    );
  }
});

test("stephrl's prompts are exactly the transition states deriveTransitions builds for the same episode", () => {
  for (const { label, episode } of replayed) {
    const transitions = deriveTransitions(episode);
    const calls = replayCalls(episode).stephrl;
    for (const role of ['high', 'low', 'progress'] as const) {
      const states = transitions.filter((t) => t.role === role);
      const prompts = calls.filter((c) => c.role === role);
      assert.equal(prompts.length, states.length, `${label} ${role}`);
      assert.deepEqual(
        prompts.map((c) => c.prompt),
        states.map((t) => t.state),
        `${label} ${role} prompts`,
      );
      assert.deepEqual(
        prompts.map((c) => c.completion),
        states.map((t) => t.target),
        `${label} ${role} targets`,
      );
    }
  }
});

test("react's history only grows: each prompt's text before the current observation extends the previous one", () => {
  for (const { label, episode } of replayed) {
    const calls = replayCalls(episode).react;
    assert.equal(calls.length, episode.steps.length, label);
    assert.deepEqual(
      calls.map((c) => c.stepIdx),
      episode.steps.map((_, t) => t),
      label,
    );
    // The current observation changes from step to step (a small room after a big one), so the whole prompt may
    // shrink; what grows with the step index is everything before it.
    const history = calls.map((c) => c.prompt.slice(0, c.prompt.lastIndexOf('\nObservation:\n')));
    const sizes = history.map((h) => tokenizer.count(h));
    for (let t = 1; t < calls.length; t++) {
      assert.ok(
        history[t]!.startsWith(history[t - 1]!.replace(/\nHistory:\nNone$/, '\nHistory:\n')),
        `${label} step ${t}: the history was rewritten`,
      );
      assert.ok(sizes[t]! > sizes[t - 1]!, `${label} step ${t}: ${sizes[t]} tokens before the observation, ${sizes[t - 1]} at the step before`);
      assert.ok(calls[t]!.prompt.includes(`> ${episode.steps[t - 1]!.action}\n`), `${label} step ${t}: the last action is missing`);
    }
    assert.deepEqual(
      calls.map((c) => c.completion),
      episode.steps.map((s) => s.action),
      label,
    );
  }
});

test("hrl-history's actor sees only the steps of the current subtask", () => {
  for (const { label, episode } of replayed) {
    const calls = replayCalls(episode)['hrl-history'];
    assert.equal(calls.filter((c) => c.role === 'high').length, episode.subtasks.length, label);
    for (const s of episode.subtasks) {
      const first = calls.find((c) => c.role === 'low' && c.stepIdx === s.firstStep)!;
      assert.match(first.prompt, /\nSteps in this subtask:\nNone\nObservation:\n/, `${label} step ${s.firstStep}`);
      const last = calls.find((c) => c.role === 'low' && c.stepIdx === s.lastStep)!;
      assert.ok(last.completion.endsWith('; True'), `${label} step ${s.lastStep}: ${last.completion}`);
      const steps = last.prompt.split('\n').filter((line) => line.startsWith('> ')).length;
      assert.equal(steps, s.lastStep - s.firstStep, `${label} step ${s.lastStep}: history entries`);
    }
  }
});

test('every count is a positive integer and the per-agent totals add up', () => {
  for (const { label, episode, tokens } of replayed) {
    const calls = replayCalls(episode);
    for (const agent of TOKEN_AGENTS) {
      const a = tokens.agents[agent];
      const where = `${label} ${agent}`;
      assert.equal(a.decisions, calls[agent].length, where);
      assert.equal(a.promptTokens.length, a.decisions, where);
      assert.ok(
        a.promptTokens.every((n) => Number.isInteger(n) && n > 0),
        `${where}: prompt counts ${a.promptTokens.join(',')}`,
      );
      assert.equal(
        a.promptTotal,
        a.promptTokens.reduce((x, y) => x + y, 0),
        where,
      );
      assert.ok(Number.isInteger(a.completionTokens) && a.completionTokens >= a.decisions, `${where}: ${a.completionTokens} completion tokens`);
      assert.equal(a.stepPromptTokens.length, episode.steps.length, where);
      assert.ok(a.p95OverMedian >= 1, where);
      const roles = Object.values(a.byRole);
      assert.equal(
        roles.reduce((n, r) => n + r.calls, 0),
        a.decisions,
        where,
      );
      assert.equal(
        roles.reduce((n, r) => n + r.promptTokens, 0),
        a.promptTotal,
        where,
      );
    }
    // The prefix alone is dozens of tokens: a real tokenizer, not a character count or a stub.
    assert.ok(tokens.agents.react.promptTokens[0]! > 50 && tokens.agents.react.promptTokens[0]! < calls.react[0]!.prompt.length, label);
  }
});

test("on ScienceWorld stephrl's prompt tokens per episode are below react's, and its per-step prompt stays flat", () => {
  for (const { label, tokens } of byEnv('scienceworld')) {
    const { stephrl, react } = tokens.agents;
    assert.ok(stephrl.promptTotal < react.promptTotal, `${label}: stephrl ${stephrl.promptTotal}, react ${react.promptTotal}`);
    assert.ok(stephrl.p95OverMedian <= 2, `${label}: stephrl low-level p95/median ${stephrl.p95OverMedian}`);
  }
});

test('the summary and targets are computed over the episodes', () => {
  const summary = summarizeTokens(replayed.map((r) => r.tokens));
  assert.equal(summary.react.promptTokensOverReact.ofMeans, 1);
  const steps = replayed.reduce((n, r) => n + r.episode.steps.length, 0) / replayed.length;
  assert.equal(summary.react.decisionsPerEpisode, steps);
  const targets = tokenTargets(summary);
  assert.equal(targets.stephrlOverReactPerEpisode.value, summary.stephrl.promptTokensOverReact.ofMeans);
  assert.equal(targets.withinEpisodeP95OverMedian.value, Math.max(...replayed.map((r) => r.tokens.agents.stephrl.p95OverMedian)));
  assert.equal(targets.withinEpisodeP95OverMedian.met, targets.withinEpisodeP95OverMedian.value <= 2);
  assert.equal(quantile([1, 2, 3, 4, 5], 0.5), 3);
  assert.equal(quantile([10, 20], 0.95), 19.5);
});

test('measureTokens runs the expert, annotates in memory and counts with the default tokenizer', () => {
  assert.equal(measured.split, 'valid_seen');
  assert.equal(measured.episodes, 1);
  assert.equal(measured.failed, 0, measured.failures.join('\n'));
  assert.equal(measured.model, DEFAULT_TOKEN_MODEL);
  const [episode] = measured.perEpisode;
  assert.ok(episode && episode.steps > 0);
  assert.equal(measured.agents.react.decisionsPerEpisode, episode.steps);
  assert.equal(measured.agents.stephrl.decisionsPerEpisode, 2 * episode.steps + episode.subtasks);
  assert.ok(measured.agents.stephrl.promptTokensPerEpisode.mean > 0);
  assert.equal(typeof measured.targets.stephrlOverReactPerEpisode.met, 'boolean');
});

test("baselines' training transitions are their agents' own calls: react one per step, hrl-history a planner per subtask and an actor per step", () => {
  for (const { label, episode } of replayed) {
    const calls = replayCalls(episode);
    assert.deepEqual(agentTransitions('stephrl')(episode), deriveTransitions(episode));

    const react = agentTransitions('react')(episode);
    assert.deepEqual(
      react.map((t) => [t.role, t.state, t.target]),
      calls.react.map((c) => ['low', c.prompt, c.completion]),
      label,
    );
    assert.deepEqual(
      react.map((t) => t.target),
      episode.steps.map((s) => s.action),
      `${label}: the flat agent's target is the bare action`,
    );
    react.slice(0, -1).forEach((t, i) => assert.equal(t.nextState, react[i + 1]!.state));
    assert.equal(react.at(-1)!.done, true);

    const history = agentTransitions('hrl-history')(episode);
    assert.deepEqual(
      history.map((t) => [t.role, t.state, t.target]),
      calls['hrl-history'].map((c) => [c.role, c.prompt, c.completion]),
      label,
    );
    assert.equal(history.filter((t) => t.role === 'high').length, episode.subtasks.length);
    assert.equal(history.filter((t) => t.role === 'low').length, episode.steps.length);
    const ends = history.filter((t) => t.role === 'low' && t.done).map((t) => t.stepIdx);
    assert.deepEqual(
      ends,
      episode.subtasks.map((s) => s.lastStep),
      `${label}: an actor transition is done where its subtask ends`,
    );
  }
});
