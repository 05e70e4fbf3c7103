/** The `stephrl` CLI as a user runs it: help, split listings, the expert, play, and bad input. */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { test } from 'node:test';
import { cli, groupAlive, root, runCli, waitFor } from './helpers';
import { PIPELINE_SLICES } from '../../runtime/src/pipeline/pipeline';

test('stephrl --help lists the commands', async () => {
  const { code, stdout } = await runCli(['--help']);
  assert.equal(code, 0);
  for (const command of ['env', 'bench', 'serve', 'doctor']) assert.match(stdout, new RegExp(`\\b${command}\\b`));
});

test('env list: ScienceWorld split counts match the protocol', async () => {
  for (const [split, count] of [
    ['train', 1404],
    ['dev', 195],
    ['test', 211],
  ] as const) {
    const { code, stdout, stderr } = await runCli(['env', 'list', '--env', 'scienceworld', '--split', split, '--json']);
    assert.equal(code, 0, stderr);
    const listed = JSON.parse(stdout);
    assert.equal(listed.count, count, split);
    assert.equal(listed.episodes.length, count);
  }
});

test('the ScienceWorld recipe names tasks with its train and test variations', async () => {
  const recipe = PIPELINE_SLICES.scienceworld;
  const variations = async (split: string) => {
    const { code, stdout, stderr } = await runCli([
      'env',
      'list',
      '--env',
      'scienceworld',
      '--split',
      split,
      '--tasks',
      recipe.tasks!.join(','),
      '--json',
    ]);
    assert.equal(code, 0, stderr);
    const counts = new Map<string, number>();
    for (const e of JSON.parse(stdout).episodes as Array<{ task: string }>) counts.set(e.task, (counts.get(e.task) ?? 0) + 1);
    return counts;
  };
  const [train, evaluation] = [await variations('train'), await variations('test')];
  for (const task of recipe.tasks!) {
    // power-component has 8 train variations: the recipe takes what there is, up to its 10.
    assert.ok((train.get(task) ?? 0) >= 8, `${task}: ${train.get(task)} train variations`);
    assert.ok((evaluation.get(task) ?? 0) >= recipe.evalPerTask, `${task}: ${evaluation.get(task)} test variations`);
  }
});

test('env list: ALFWorld selection counts, from setup data and from --data', async () => {
  const seen = await runCli(['env', 'list', '--env', 'alfworld', '--split', 'valid_seen', '--json']);
  assert.equal(seen.code, 0, seen.stderr);
  const listed = JSON.parse(seen.stdout);
  assert.equal(listed.count, 140);
  assert.ok(listed.episodes.every((e: { taskType: string; game: string }) => e.taskType && e.game.endsWith('game.tw-pddl')));
  const train = await runCli(['env', 'list', '--env', 'alfworld', '--split', 'valid_train', '--json']);
  assert.equal(JSON.parse(train.stdout).count, 200);
  const missing = await runCli(['env', 'list', '--env', 'alfworld', '--split', 'valid_seen', '--data', '/nonexistent/alfworld']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /\/nonexistent\/alfworld does not exist.*ALFWORLD_DATA/s);
});

test('env expert: boil variation 0 reaches 100, with the trajectory and a summary', async () => {
  const { code, stdout, stderr } = await runCli(['env', 'expert', '--env', 'scienceworld', '--task', 'boil', '--variation', '0', '--json']);
  assert.equal(code, 0, stderr);
  const trajectory = JSON.parse(stdout);
  assert.equal(trajectory.summary.score, 100);
  assert.equal(trajectory.summary.won, true);
  assert.equal(trajectory.summary.steps, trajectory.steps.length);
  assert.deepEqual(trajectory.engine, { name: 'scienceworld', version: '1.2.3' });
  assert.ok(trajectory.steps.every((s: { look?: string; inventory?: string }) => s.look && s.inventory));
});

test('env expert: an ALFWorld game by its folder', async () => {
  const listed = JSON.parse((await runCli(['env', 'list', '--env', 'alfworld', '--split', 'valid_seen', '--json'])).stdout);
  const folder = listed.episodes[3].game.replace(/\/game\.tw-pddl$/, '');
  const { code, stdout, stderr } = await runCli(['env', 'expert', '--env', 'alfworld', '--game', folder, '--json']);
  assert.equal(code, 0, stderr);
  const trajectory = JSON.parse(stdout);
  assert.equal(trajectory.summary.won, true);
  assert.match(trajectory.engine.version, /alfworld 0\.3\.5; textworld 1\.6\.2/);
});

test('bad input: each error names the thing and the fix, with no stack trace', async () => {
  const cases: Array<[string[], RegExp, number]> = [
    [['env', 'expert', '--env', 'scienceworld', '--task', 'boill'], /unknown ScienceWorld task 'boill'. Known tasks: boil,/, 1],
    [['env', 'expert', '--env', 'scienceworld', '--task', 'boil', '--variation', '999'], /variation 999 is out of range for task 'boil'/, 1],
    [['env', 'expert', '--env', 'scienceworld', '--task', 'boil', '--variation', 'x'], /--variation must be a non-negative integer/, 2],
    [['env', 'expert', '--env', 'alfworld', '--game', '/tmp'], /\/tmp is not an ALFWorld game: expected a game.tw-pddl file/, 1],
    [['env', 'expert', '--env', 'alfworld'], /ALFWorld needs --game PATH/, 2],
    [['env', 'list', '--env', 'nethack', '--split', 'train'], /--env must be scienceworld or alfworld/, 2],
    [['env', 'list', '--env', 'scienceworld', '--split', 'validation'], /unknown ScienceWorld split 'validation'; use one of train, test, dev/, 1],
    [['bench', 'learn', '--games', '2', '--required', '3'], /--required 3 is more than --games 2/, 2],
    [['bench', 'learn', '--config', '{bad'], /--config is not JSON/, 2],
    [
      ['eval', '--env', 'alfworld', '--split', 'valid_seen', '--games', '@/nonexistent/games.txt'],
      /--games: cannot read \/nonexistent\/games.txt/,
      2,
    ],
    [['eval', '--env', 'alfworld', '--split', 'valid_seen', '--parallel', '1000'], /--parallel is at most 64 .*not 1000/, 2],
    [['demos', '--env', 'alfworld', '--split', 'valid_train', '--parallel', '65'], /--parallel is at most 64/, 2],
    [['eval', '--env', 'alfworld', '--split', 'valid_seen', '--seed', '-1', '--temperature', 'hot'], /--temperature: .*NaN; --seed: Too small/, 2],
    [['demos', '--env', 'alfworld', '--split', 'valid_train', '--per-task', '0'], /--per-task: Too small/, 2],
    [['demos', '--env', 'scienceworld', '--split', 'train', '--seed', '1'], /ScienceWorld's expert \(the gold path\) is the same for every seed/, 2],
    [['pipeline', '--recipe', 'scienceworld', '--expert-seeds', '2'], /ScienceWorld's expert \(the gold path\) is the same for every seed/, 2],
    [['pipeline', '--recipe', 'alfworld', '--expert-seeds', '11'], /--expert-seeds is at most 10, not 11/, 2],
    [['train', 'bc', '--steps', '2.5'], /--steps: Invalid input: expected int/, 2],
    [['bench', 'faults', '--dir', 'runtime', '--rounds', '1'], /--dir .*runtime holds files the fault bench did not make/, 2],
    [['pipeline', '--recipe', 'webshop'], /--recipe must be alfworld or scienceworld, not 'webshop'/, 2],
    [['pipeline', '--recipe', 'scienceworld', '--env', 'alfworld'], /--recipe scienceworld runs on scienceworld only/, 2],
    [['pipeline', '--recipe', 'alfworld', '--env', 'both'], /--recipe alfworld runs on alfworld only/, 2],
    [['pipeline', '--tasks', 'pick_and_place_simple'], /--tasks names one environment's tasks: give --env scienceworld or --env alfworld/, 2],
    [['pipeline', '--env', 'alfworld', '--tasks', ' , '], /--tasks needs at least one task name/, 2],
    [
      ['eval', '--env', 'alfworld', '--split', 'valid_seen', '--tasks', 'pick_and_place'],
      /unknown ALFWorld task type 'pick_and_place'; use one of pick_and_place_simple, look_at_obj_in_light/,
      1,
    ],
    [['models', 'ship', 'Bad_Name', '--adapter', 'x.gguf', '--title', 't'], /an adapter name is lower-case letters, digits and dashes/, 2],
    [
      ['eval', '--env', 'alfworld', '--split', 'valid_seen', '--adapter', 'no-such-adapter', '--limit', '1'],
      /no adapter file 'no-such-adapter' and no shipped adapter of that name/,
      1,
    ],
  ];
  for (const [args, message, code] of cases) {
    const result = await runCli(args);
    assert.equal(result.code, code, `${args.join(' ')}: ${result.stderr}`);
    assert.match(result.stderr, message);
    assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
  }
  const slow = await runCli(['env', 'list', '--env', 'alfworld', '--split', 'valid_seen'], { env: { STEPHRL_WORKER_TIMEOUT_S: 'soon' } });
  assert.equal(slow.code, 1);
  assert.match(slow.stderr, /STEPHRL_WORKER_TIMEOUT_S must be a number of seconds above 0, not 'soon'/);
  assert.doesNotMatch(slow.stderr, /\n\s+at /);
});

test('env play: a person types actions, asks for valid ones and quits', async () => {
  const input = ['valid', 'fly away', 'open door to kitchen', 'quit', ''].join('\n');
  const { code, stdout, stderr } = await runCli(['env', 'play', '--env', 'scienceworld', '--task', 'boil'], { input });
  assert.equal(code, 0, stderr);
  assert.match(stdout, /Task: Your task is to boil water/);
  assert.match(stdout, /look around/); // from `valid`
  assert.match(stdout, /No known action matches that input\.\n\s+\[score 0, step 1\/50, rejected by the engine\]/);
  assert.match(stdout, /step 2\/50/);
});

test('a CLI killed with SIGKILL mid-episode leaves no worker or JVM behind', async () => {
  const child = spawn(process.execPath, [cli, 'env', 'play', '--env', 'scienceworld', '--task', 'boil'], { cwd: root });
  let stdout = '';
  child.stdout.on('data', (d) => (stdout += d));
  assert.ok(await waitFor(() => stdout.includes('Task:'), 120_000), 'the episode did not load');
  const workers = execFileSync('pgrep', ['-P', String(child.pid)])
    .toString()
    .trim()
    .split('\n')
    .map(Number);
  assert.equal(workers.length, 1);
  const worker = workers[0]!;
  assert.ok(groupAlive(worker));
  child.kill('SIGKILL');
  // The worker sees its stdin close, exits, and py4j's JVM follows it.
  assert.ok(await waitFor(() => !groupAlive(worker), 20_000), 'processes were left behind');
});
