/**
 * The ALFWorld rule annotator on real expert trajectories: the hand-coded expert plays the first valid_train game of
 * each of the six task types on the real engine, and the annotation must cover every step, name the expert's phases
 * in order, and keep bounded, honest local progress (a checked place was really visited inside the subtask).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { annotatableTrajectory } from '../../runtime/src/annotate/run';
import { annotateAlfworld } from '../../runtime/src/annotate/alfworld';
import { alfworldSubtaskReached } from '../../runtime/src/annotate/alfworld-subtask-check';
import { type AnnotatableEpisode, type AnnotationDraft, MAX_PROGRESS_CHARS } from '../../runtime/src/annotate/types';
import { WorkerEnvironment } from '../../runtime/src/env/environment';
import { EXPERT_MAX_STEPS, runExpert } from '../../runtime/src/env/expert';
import type { ExpertTrajectory } from '../../runtime/src/protocol/environment';
import { resolveAlfworldData } from '../../runtime/src/util/paths';

const TASK_TYPES = [
  'look_at_obj_in_light',
  'pick_and_place_simple',
  'pick_clean_then_place_in_recep',
  'pick_heat_then_place_in_recep',
  'pick_cool_then_place_in_recep',
  'pick_two_obj_and_place',
] as const;
type TaskType = (typeof TASK_TYPES)[number];

/** Two engines play the six games side by side (each game takes 2-10 s) to keep the test short. */
const engines = [new WorkerEnvironment('alfworld'), new WorkerEnvironment('alfworld')];
const trajectories = new Map<TaskType, ExpertTrajectory>();
/** A pick_two game cut short by the step cap, as the expert leaves it when the cap hits. */
let truncated: ExpertTrajectory;

const annotatable = annotatableTrajectory;

/** The engine's lowercase name for a pddl parameter ("DeskLamp" → "desklamp"). */
function param(t: ExpertTrajectory, key: string): string {
  return String(t.taskParams?.[key] ?? '').toLowerCase();
}

/** The subtask names each task type must produce, as one pattern over "name | name | ...". */
function expectedPhases(type: TaskType, object: string, receptacle: string, lamp: string): RegExp {
  const go = (place: string) => `(?:go to the ${place} \\| )?`;
  const transform = (verb: string, appliance: string) =>
    `find and take the ${object} \\| ${go(appliance)}${verb} the ${object} with the ${appliance} \\| ${go(receptacle)}put the ${object} in/on the ${receptacle}`;
  const sequences: Record<TaskType, string> = {
    look_at_obj_in_light: `find and take the ${object} \\| (?:(?:go to|find) the ${lamp} \\| )?use the ${lamp}`,
    pick_and_place_simple: `find and take the ${object} \\| ${go(receptacle)}put the ${object} in/on the ${receptacle}`,
    pick_clean_then_place_in_recep: transform('clean', 'sinkbasin'),
    pick_heat_then_place_in_recep: transform('heat', 'microwave'),
    pick_cool_then_place_in_recep: transform('cool', 'fridge'),
    pick_two_obj_and_place:
      `find and take the first ${object} \\| ${go(receptacle)}put the first ${object} in/on the ${receptacle} \\| ` +
      `find and take the second ${object} \\| ${go(receptacle)}put the second ${object} in/on the ${receptacle}`,
  };
  return new RegExp(`^${sequences[type]}$`);
}

function assertCoverage(draft: AnnotationDraft, steps: number, where: string): void {
  assert.ok(draft.subtasks.length > 0, `${where}: no subtasks`);
  let next = 0;
  for (const s of draft.subtasks) {
    assert.equal(s.firstStep, next, `${where}: ${s.name} starts at ${s.firstStep}, expected ${next}`);
    assert.ok(s.lastStep >= s.firstStep, `${where}: empty subtask ${s.name}`);
    assert.ok(s.name.trim().length > 0 && s.name === s.name.toLowerCase(), `${where}: name '${s.name}'`);
    next = s.lastStep + 1;
  }
  assert.equal(next, steps, `${where}: the subtasks end at ${next - 1}, the trajectory at ${steps - 1}`);
}

/** "drawer 1-3, 5; shelf 2" or "drawer 1 (opened), shelf 2" → the places named. */
function checkedPlaces(list: string): string[] {
  if (list === 'none yet') return [];
  if (!list.includes(';') && !/\d-\d/.test(list)) return list.split(', ').map((entry) => entry.replace(/ \(opened\)$/, ''));
  return list.split('; ').flatMap((group) => {
    const [, type, ranges] = group.match(/^(.*?) ([\d, -]+)$/) ?? [];
    if (!type || !ranges) return [group];
    return ranges.split(', ').flatMap((range) => {
      const [from, to] = range.split('-').map(Number);
      return Array.from({ length: (to ?? from!) - from! + 1 }, (_, i) => `${type} ${from! + i}`);
    });
  });
}

/** Every progress text is bounded, non-empty, and its checked list names only places visited in its subtask so far. */
function assertProgress(episode: AnnotatableEpisode, draft: AnnotationDraft, where: string): void {
  assert.equal(draft.progress.length, episode.steps.length, `${where}: one progress text per step`);
  for (const s of draft.subtasks) {
    const visited = new Set<string>();
    for (let i = s.firstStep; i <= s.lastStep; i++) {
      const text = draft.progress[i]!;
      assert.ok(text.trim().length > 0 && text.length <= MAX_PROGRESS_CHARS, `${where} step ${i}: '${text}'`);
      const step = episode.steps[i]!;
      // A place is checked once an observation showed what is in/on it (a closed drawer is not).
      const place = step.action.match(/^(?:go to|open|examine) (.+)$/)?.[1];
      if (place && !step.invalid && new RegExp(`(?:On the ${place}|In it), you see`).test(step.observation)) visited.add(place);
      const checked = text.match(/\[Checked: (.*)\]$/)?.[1];
      for (const p of checked ? checkedPlaces(checked) : []) assert.ok(visited.has(p), `${where} step ${i}: '${p}' claimed checked in '${text}'`);
    }
  }
}

before(async () => {
  const games = await engines[0]!.listSplit('valid_train', { data: resolveAlfworldData() });
  const play = async (env: WorkerEnvironment, types: readonly TaskType[]) => {
    for (const type of types) {
      const entry = games.find((g) => 'taskType' in g && g.taskType === type);
      assert.ok(entry && 'game' in entry, `no valid_train game of type ${type}`);
      trajectories.set(type, await runExpert(env, { env: 'alfworld', game: entry.game }, { maxSteps: EXPERT_MAX_STEPS }));
    }
  };
  await Promise.all(
    engines.map((env, lane) =>
      play(
        env,
        TASK_TYPES.filter((_, i) => i % engines.length === lane),
      ),
    ),
  );
  // Cut the pick_two game inside its second search: the step cap hits while the expert is looking.
  const pickTwo = trajectories.get('pick_two_obj_and_place')!;
  const second = annotateAlfworld(annotatable(pickTwo)).subtasks.find((s) => s.name.startsWith('find and take the second '));
  assert.ok(second && second.lastStep - second.firstStep >= 2, 'the second search is long enough to be cut');
  truncated = await runExpert(engines[0]!, pickTwo.episode, { maxSteps: second.firstStep + 2 });
});

after(() => Promise.all(engines.map((env) => env.close())));

for (const type of TASK_TYPES) {
  test(`${type}: the subtasks cover every step and follow the expert's phases; progress is bounded and honest`, () => {
    const trajectory = trajectories.get(type)!;
    assert.equal(trajectory.taskType, type);
    assert.ok(trajectory.summary.won, `the expert did not win ${JSON.stringify(trajectory.episode)}`);
    const episode = annotatable(trajectory);
    const draft = annotateAlfworld(episode);
    const where = `${type} (${trajectory.taskDescription})`;
    assertCoverage(draft, episode.steps.length, where);
    assertProgress(episode, draft, where);

    const object = param(trajectory, 'object_target');
    const names = draft.subtasks.map((s) => s.name);
    assert.match(names.join(' | '), expectedPhases(type, object, param(trajectory, 'parent_target'), param(trajectory, 'toggle_target')));
    for (const name of names.filter((n) => !/^(?:go to|find the|use) /.test(n)))
      assert.ok(name.includes(object), `${where}: '${name}' names no ${object}`);

    // The search ends holding the object; the last subtask ends on the winning step and says what it did.
    const search = draft.subtasks[0]!;
    assert.match(draft.progress[search.lastStep]!, new RegExp(`^Took the ${object} \\d+ from the `));
    assert.equal(draft.subtasks.at(-1)!.lastStep, episode.steps.length - 1);
    assert.match(draft.progress.at(-1)!, /^(?:Put the .+ in\/on the .+|Turned on the .+)\.$/);
    const transformed = draft.subtasks.find((s) => /^(?:clean|heat|cool) /.test(s.name));
    if (transformed) assert.match(draft.progress[transformed.lastStep]!, /; it is (?:clean|hot|cool) now\.$/);

    assert.deepEqual(annotateAlfworld(structuredClone(episode)), draft, 'the same trajectory gives the same annotation');

    // Every subtask the expert finished reads as reached; each one ended a step early (before its milestone or
    // arrival, as a policy's low level may declare it done) does not, nor a search ended before its take.
    for (const s of draft.subtasks)
      assert.equal(alfworldSubtaskReached(s.name, episode.steps, s.firstStep, s.lastStep), true, `${where}: '${s.name}' not reached`);
    for (const s of draft.subtasks.filter((x) => x.lastStep > x.firstStep))
      assert.equal(alfworldSubtaskReached(s.name, episode.steps, s.firstStep, s.lastStep - 1), false, `${where}: '${s.name}' cut a step early`);
    assert.equal(alfworldSubtaskReached(`${search.name} now`, episode.steps, search.firstStep, search.lastStep), false, 'another object');
    assert.equal(alfworldSubtaskReached('look around the room', episode.steps, 0, 0), null, 'a wording no check reads');
  });
}

test('a trajectory cut by the step cap is still covered, its last subtask named for what the expert was doing', () => {
  assert.equal(truncated.summary.stoppedBy, 'step_cap');
  assert.equal(truncated.summary.won, false);
  const episode = annotatable(truncated);
  const draft = annotateAlfworld(episode);
  assertCoverage(draft, episode.steps.length, 'truncated pick_two');
  assertProgress(episode, draft, 'truncated pick_two');
  const full = annotateAlfworld(annotatable(trajectories.get('pick_two_obj_and_place')!));
  const cut = draft.subtasks.length - 1;
  assert.deepEqual(draft.subtasks.slice(0, cut), full.subtasks.slice(0, cut), 'the finished subtasks are those of the full run');
  assert.deepEqual(draft.subtasks[cut], { ...full.subtasks[cut]!, lastStep: episode.steps.length - 1 });
  assert.match(draft.subtasks[cut]!.name, /^find and take the second /);
  assert.deepEqual(draft.progress, full.progress.slice(0, episode.steps.length), 'progress depends only on the steps so far');
  assert.match(draft.progress.at(-1)!, /^Looking for a second /);
  const last = draft.subtasks[cut]!;
  assert.equal(alfworldSubtaskReached(last.name, episode.steps, last.firstStep, last.lastStep), false, 'the cut search took nothing');
});

test('an empty trajectory has no subtasks and no progress', () => {
  const episode = { ...annotatable(trajectories.get('pick_and_place_simple')!), steps: [] };
  assert.deepEqual(annotateAlfworld(episode), { subtasks: [], progress: [] });
});
