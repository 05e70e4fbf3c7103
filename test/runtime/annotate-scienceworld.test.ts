/**
 * The ScienceWorld rule annotator on real gold paths: the engine plays variation 0 of six contrasting tasks, and the
 * annotation must cover every step, collapse movement into "go to the X", name the subtasks each task needs, and
 * keep bounded, honest local progress. A replay with a command the engine rejects checks that the rejection is told.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { annotateScienceWorld } from '../../runtime/src/annotate/scienceworld';
import { scienceworldSubtaskReached } from '../../runtime/src/annotate/scienceworld-subtask-check';
import { completionReward } from '../../runtime/src/agent/stephrl-transitions';
import type { TransitionEpisode } from '../../runtime/src/store/transitions';
import { annotatableTrajectory } from '../../runtime/src/annotate/run';
import { type AnnotatableEpisode, type AnnotationDraft, MAX_PROGRESS_CHARS } from '../../runtime/src/annotate/types';
import { WorkerEnvironment } from '../../runtime/src/env/environment';
import { EXPERT_MAX_STEPS, runExpert } from '../../runtime/src/env/expert';
import type { ExpertTrajectory, TrajectoryStep } from '../../runtime/src/protocol/environment';

const TASKS = ['boil', 'find-animal', 'chemistry-mix', 'power-component', 'use-thermometer', 'grow-plant'] as const;
type Task = (typeof TASKS)[number];

const env = new WorkerEnvironment('scienceworld');
const trajectories = new Map<Task, ExpertTrajectory>();
/** boil's gold path with an unknown command slipped in after the first two steps, replayed on the engine. */
let withRejection: AnnotatableEpisode;
const REJECTED_AT = 2;

const episodeOf = (task: Task): AnnotatableEpisode => {
  return annotatableTrajectory(trajectories.get(task)!);
};

const isMovement = (action: string): boolean => /^(?:open door to|go to|teleport to) /.test(action);

function assertCoverage(draft: AnnotationDraft, steps: number, where: string): void {
  let next = 0;
  for (const s of draft.subtasks) {
    assert.equal(s.firstStep, next, `${where}: '${s.name}' starts at ${s.firstStep}, expected ${next}`);
    assert.ok(s.lastStep >= s.firstStep, `${where}: empty subtask '${s.name}'`);
    assert.ok(s.name.trim().length > 0 && s.name === s.name.toLowerCase(), `${where}: name '${s.name}'`);
    next = s.lastStep + 1;
  }
  assert.equal(next, steps, `${where}: the subtasks end at ${next - 1}, the trajectory at ${steps - 1}`);
}

/** A run of movement lies inside one subtask, and a subtask that moves is "go to the <last room reached>". */
function assertMovementCollapsed(episode: AnnotatableEpisode, draft: AnnotationDraft, where: string): void {
  const subtaskOf = (step: number) => draft.subtasks.findIndex((s) => s.firstStep <= step && step <= s.lastStep);
  episode.steps.forEach((step, i) => {
    if (i > 0 && isMovement(step.action) && isMovement(episode.steps[i - 1]!.action)) {
      assert.equal(subtaskOf(i), subtaskOf(i - 1), `${where}: the movement at steps ${i - 1}-${i} is split`);
    }
  });
  for (const s of draft.subtasks) {
    const actions = episode.steps.slice(s.firstStep, s.lastStep + 1).map((step) => step.action);
    const rooms = actions.flatMap((a) => a.match(/^(?:go|teleport) to (.+)$/)?.[1] ?? []);
    if (rooms.length === 0) continue;
    assert.equal(s.name, `go to the ${rooms.at(-1)}`, `${where}: a subtask that moves is named '${s.name}'`);
    assert.ok(
      actions.every((a) => isMovement(a) || a === 'look around'),
      `${where}: '${s.name}' mixes movement with ${actions.join('; ')}`,
    );
  }
}

/** Bounded, non-empty, a route for movement, and a checked list that names only containers opened in the subtask. */
function assertProgress(episode: AnnotatableEpisode, draft: AnnotationDraft, where: string): void {
  assert.equal(draft.progress.length, episode.steps.length, `${where}: one progress text per step`);
  for (const s of draft.subtasks) {
    for (let i = s.firstStep; i <= s.lastStep; i++) {
      const text = draft.progress[i]!;
      assert.ok(text.trim().length > 0 && text.length <= MAX_PROGRESS_CHARS, `${where} step ${i}: '${text}'`);
      if (s.name.startsWith('go to the ')) assert.match(text, /^Route: /, `${where} step ${i}`);
      const checked = text.match(/\|\| \[Checked: (.*)\]$/)?.[1]?.split(', ') ?? [];
      const opened = episode.steps.slice(s.firstStep, i + 1).map((step) => step.observation.match(/^The (.+?) is (?:now|already) open/)?.[1]);
      for (const place of checked) assert.ok(opened.includes(place), `${where} step ${i}: '${place}' claimed checked in '${text}'`);
    }
  }
}

/**
 * The completion check (an offline-RL reward) on a gold path: every subtask whose goal the texts show is reached,
 * each task has some, and a move, pick-up or put cut a step early is not; a wrong room is not, a wording no check
 * reads is left unjudged.
 */
function assertSubtasksReached(episode: AnnotatableEpisode, draft: AnnotationDraft, where: string): void {
  const reached = (name: string, first: number, last: number) => scienceworldSubtaskReached(name, episode.steps, first, last);
  let checked = 0;
  for (const s of draft.subtasks) {
    const verdict = reached(s.name, s.firstStep, s.lastStep);
    assert.notEqual(verdict, false, `${where}: '${s.name}' (steps ${s.firstStep}-${s.lastStep}) not reached`);
    if (verdict === null) continue;
    checked++;
    if (/^(?:go to|pick up|put) /.test(s.name) && !/ and /.test(s.name) && s.lastStep > s.firstStep)
      assert.equal(reached(s.name, s.firstStep, s.lastStep - 1), false, `${where}: '${s.name}' cut a step early`);
  }
  assert.ok(checked >= 2, `${where}: only ${checked} subtasks checked`);
  // Planting moves a seed into a pot, often by a numbered answer to the engine's question which seed was meant.
  for (const s of draft.subtasks) {
    const planted = s.name.match(/^plant the (.+) in (flower pot \d+)$/);
    if (planted) assert.equal(reached(`put the ${planted[1]} in the ${planted[2]}`, s.firstStep, s.lastStep), true, `${where}: '${s.name}'`);
  }
  const move = draft.subtasks.find((s) => s.name.startsWith('go to the '))!;
  assert.equal(reached('go to the foundry', move.firstStep, move.lastStep), false, `${where}: another room`);
  assert.equal(reached('look around the room', 0, 0), null, `${where}: a wording no check reads`);
  // The low level's completion reward reads the same check: paid for the subtask reached, not for one declared only.
  const asStored = (subtasks: AnnotationDraft['subtasks']) =>
    ({
      env: 'scienceworld',
      subtasks,
      steps: episode.steps.map((s) => ({ ...s, look: s.look ?? null, inventory: s.inventory ?? null })),
    }) as unknown as TransitionEpisode;
  const k = draft.subtasks.indexOf(move);
  assert.equal(completionReward(asStored(draft.subtasks), k), 1, `${where}: '${move.name}' unpaid`);
  const declared = draft.subtasks.map((s, i) => (i === k ? { ...s, name: 'go to the foundry' } : s));
  assert.equal(completionReward(asStored(declared), k), 0, `${where}: a declared, unreached move paid`);
}

/** The names in order must contain these patterns in this order (other subtasks may come between). */
function assertNamesInOrder(names: readonly string[], expected: readonly RegExp[], where: string): void {
  let from = 0;
  for (const pattern of expected) {
    const at = names.findIndex((name, i) => i >= from && pattern.test(name));
    assert.ok(at >= 0, `${where}: no subtask matching ${pattern} after position ${from} in [${names.join(' | ')}]`);
    from = at + 1;
  }
}

/** The subtasks each task's gold path must show, from the task description where it names things. */
function expectedNames(task: Task, description: string): RegExp[] {
  const box = description.match(/move it to the (\w+) box/)?.[1] ?? '';
  const product = description.match(/create the substance '([^']+)'/)?.[1] ?? '';
  switch (task) {
    case 'boil':
      return [
        /^go to the kitchen$/,
        /^fill the metal pot with water$/,
        /^(?:pick up and )?focus on the water$/,
        /^heat the water (?:on|in) the /,
        /^measure the temperature of the water until it boils$/,
      ];
    case 'find-animal':
      return [
        /^go to the /,
        /^focus on the [a-z ]+$|^focus on the [a-z ]+ and pick it up$/,
        /^go to the kitchen$/,
        new RegExp(`^put the [a-z ]+ in the ${box} box$`),
      ];
    case 'chemistry-mix':
      return [/^go to the kitchen$/, /^pick up and read the recipe$/, /^mix .+ in the [a-z ]+$/, new RegExp(`^focus on the ${product}$`)];
    case 'power-component':
      return [/^go to the workshop$/, /^focus on the red light bulb$/, /^(?:connect the [a-z ]+ to the red light bulb|build a circuit with .+)$/];
    case 'use-thermometer':
      return [
        /^pick up and focus on the thermometer$/,
        /^go to the /,
        /^pick up and focus on the unknown substance b$/,
        /^measure the temperature of the unknown substance b$/,
        /^put the unknown substance b in the \w+ box$/,
      ];
    case 'grow-plant':
      return [
        /^pick up the seed jar$/,
        /^go to the greenhouse$/,
        /^plant the [a-z]+ seed in flower pot \d+$/,
        /^focus on the [a-z]+ seed$/,
        /^water flower pot \d+$/,
        /^wait for the [a-z ]+ to grow$/,
      ];
  }
}

before(async () => {
  for (const task of TASKS) trajectories.set(task, await runExpert(env, { env: 'scienceworld', task, variation: 0 }, { maxSteps: EXPERT_MAX_STEPS }));
  const boil = trajectories.get('boil')!;
  const reset = await env.reset(boil.episode, { maxSteps: EXPERT_MAX_STEPS });
  const actions = boil.steps.slice(0, 6).map((s) => s.action);
  actions.splice(REJECTED_AT, 0, 'xyzzy');
  const steps: TrajectoryStep[] = [];
  for (const action of actions) steps.push({ action, ...(await env.step(action)) });
  withRejection = annotatableTrajectory({
    episode: boil.episode,
    taskDescription: reset.taskDescription,
    initialObservation: reset.observation,
    initialLook: reset.look,
    initialInventory: reset.inventory,
    steps,
  });
});

after(() => env.close());

for (const task of TASKS) {
  test(`${task}: the subtasks cover every step, collapse movement and name what the task needs; progress is bounded and honest`, () => {
    const trajectory = trajectories.get(task)!;
    assert.equal(trajectory.summary.score, 100, `the gold path of ${task} did not finish`);
    const episode = episodeOf(task);
    const draft = annotateScienceWorld(episode);
    const where = `${task} (${trajectory.taskDescription.slice(0, 80)})`;
    assertCoverage(draft, episode.steps.length, where);
    assertMovementCollapsed(episode, draft, where);
    assertProgress(episode, draft, where);
    const names = draft.subtasks.map((s) => s.name);
    assertNamesInOrder(names, expectedNames(task, trajectory.taskDescription), where);
    assert.ok(draft.subtasks.length >= 3 && draft.subtasks.length <= 10, `${where}: ${draft.subtasks.length} subtasks`);
    assert.deepEqual(annotateScienceWorld(structuredClone(episode)), draft, 'the same trajectory gives the same annotation');
    assertSubtasksReached(episode, draft, where);
  });
}

test('progress follows the task: readings while measuring, the wiring while connecting, the stages while waiting', () => {
  const progressOf = (task: Task, pattern: RegExp): string => {
    const draft = annotateScienceWorld(episodeOf(task));
    const subtask = draft.subtasks.find((s) => pattern.test(s.name));
    assert.ok(subtask, `${task}: no subtask matching ${pattern}`);
    return draft.progress[subtask.lastStep]!;
  };
  assert.match(progressOf('boil', /until it boils$/), /Temperature of the water: .*\d+ °C\./);
  assert.match(
    progressOf('use-thermometer', /^measure the temperature/),
    /Temperature of the unknown substance B: -?\d+ °C \((?:above|below|equal to) -?[\d.]+ °C\)\./,
  );
  assert.match(progressOf('power-component', /^(?:connect|build)/), /Connected: battery (?:anode|cathode) to .*red light bulb/);
  assert.match(progressOf('grow-plant', /^wait for/), /Waited \d+ time steps?\. Plants: flower pot \d+: /);
  assert.match(progressOf('boil', /^go to the kitchen$/), /^Route: [a-z ]+ → .*kitchen\. Now in the kitchen\.$/);
  assert.match(progressOf('chemistry-mix', /^pick up and read the recipe$/), /The recipe says: To make /);
});

test("a command the engine rejects is told in that step's progress, and the annotation still covers every step", () => {
  const rejected = withRejection.steps[REJECTED_AT]!;
  assert.equal(rejected.invalid, true, 'the engine flags the unknown command');
  const draft = annotateScienceWorld(withRejection);
  assertCoverage(draft, withRejection.steps.length, 'boil with a rejected command');
  assertProgress(withRejection, draft, 'boil with a rejected command');
  assert.match(draft.progress[REJECTED_AT]!, /rejected "xyzzy" \(No known action matches that input\.\)/);
  assert.ok(!draft.progress[REJECTED_AT + 1]!.includes('xyzzy'), 'a rejection is a one-step note, not a persistent fact');
});

test('every prefix of a gold path is covered too (a trajectory cut anywhere), and an empty one has no subtasks', () => {
  for (const task of TASKS) {
    const episode = episodeOf(task);
    for (let n = 1; n < episode.steps.length; n++) {
      const cut = { ...episode, steps: episode.steps.slice(0, n) };
      const draft = annotateScienceWorld(cut);
      assertCoverage(draft, n, `${task} cut at ${n}`);
      assert.equal(draft.progress.length, n);
      assert.ok(
        draft.progress.every((p) => p.length > 0 && p.length <= MAX_PROGRESS_CHARS),
        `${task} cut at ${n}`,
      );
    }
    assert.deepEqual(annotateScienceWorld({ ...episode, steps: [] }), { subtasks: [], progress: [] });
  }
});
