/**
 * `stephrl bench faults` (`npm run bench -- faults`): fault injection against the real CLI. Each scenario runs a job
 * (expert demonstrations, an evaluation, an import, training), kills a process with SIGKILL at a seeded random moment
 * (the runtime itself, an environment worker, the trainer) or starts two writers on one dataset, and after every
 * round checks what a user would: the database is sound, nothing finished was lost, nothing was stored twice, nothing
 * was left running; at the end the same command finishes the job. Every figure comes from a check that can fail.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DatasetStore } from '../store/dataset-store';
import { itemKey } from '../store/episodes';
import type { EpisodeSource } from '../protocol/vocabulary';
import { projectRoot } from '../util/paths';
import { seededRandom } from '../util/random';
import { descendants, killAll, waitGone } from './processes';
import { ErrorCodes, ExitCodes, StudioError } from '../protocol/errors';

/** The bench could not set up a scenario (its own job failed before any fault): said plainly, no stack. */
export class FaultBenchError extends StudioError {
  constructor(message: string) {
    super(message, ErrorCodes.Internal, ExitCodes.Failure);
    this.name = 'FaultBenchError';
  }
}

export const FAULT_SCENARIOS = ['demos', 'env-workers', 'writers', 'import', 'eval', 'train', 'trainer'] as const;
export type FaultScenario = (typeof FAULT_SCENARIOS)[number];

export interface FaultBenchOptions {
  scenarios: readonly FaultScenario[];
  /** Faults per scenario. */
  rounds: number;
  seed: number;
  /** GGUF model for the evaluation and training scenarios. */
  model: string;
  /** Work folder (datasets, training runs, logs), kept for inspection. */
  dir: string;
  log: (line: string) => void;
}

export interface ScenarioReport {
  scenario: FaultScenario;
  /** What each round does to what. */
  fault: string;
  rounds: number;
  /** Kills that landed on a live process (a job that ended before its moment is not counted). */
  faultsInjected: number;
  /** Rounds whose dataset failed SQLite's integrity or foreign-key check, or held an episode with missing steps. */
  integrityFailures: number;
  /** Episodes, items or metric rows stored twice. */
  duplicates: number;
  /** Finished episodes (or training steps) that a fault took away. */
  lost: number;
  /** Processes still alive after a killed runtime's grace period (workers, JVMs, trainers). */
  orphans: number;
  /** Runs that had to succeed and did not: a runtime that crashed on a worker's death, a final run that failed. */
  failures: number;
  /** The first problems, each with its round. */
  problems: string[];
  seconds: number;
}

export interface FaultBenchResult {
  suite: 'faults';
  seed: number;
  rounds: number;
  scenarios: ScenarioReport[];
  totals: Omit<ScenarioReport, 'scenario' | 'fault' | 'problems'> & { ok: boolean };
  machine: { cpus: number; cpuModel: string; memoryGb: number; platform: string };
}

const CLI = path.join(projectRoot, 'runtime', 'bin', 'stephrl.js');
/** How long a killed runtime's workers and trainer get to notice and exit (they poll for it every second). */
const ORPHAN_GRACE_MS = 30_000;
const JOB_TIMEOUT_MS = 600_000;

interface Job {
  child: ChildProcess;
  output: { stdout: string; stderr: string };
  closed: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function startCli(args: string[]): Job {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: projectRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  const output = { stdout: '', stderr: '' };
  child.stdout!.on('data', (d) => (output.stdout += d));
  child.stderr!.on('data', (d) => (output.stderr += d));
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal })),
  );
  const timer = setTimeout(() => child.kill('SIGKILL'), JOB_TIMEOUT_MS);
  void closed.then(() => clearTimeout(timer));
  return { child, output, closed };
}

async function runToEnd(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  const started = performance.now();
  const job = startCli(args);
  const { code } = await job.closed;
  return { code, ...job.output, ms: performance.now() - started };
}

/**
 * Whether another round is due: rounds go on until `rounds` faults have landed, and a round whose job finished before
 * its fault is played again (at most `rounds` extra), so that a faster machine or a faster job still gets its faults.
 */
function moreRounds(tally: Tally, rounds: number): boolean {
  return tally.report.faultsInjected < rounds && tally.round <= 2 * rounds;
}

/** A kill moment between 5% and 85% of a job's unfaulted duration on this machine (never before `floorMs`). */
function momentWithin(random: () => number, durationMs: number, floorMs = 300): number {
  return Math.max(floorMs, durationMs * (0.05 + 0.8 * random()));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const tail = (text: string) => text.trim().split('\n').slice(-3).join(' | ');

/** Resolves true once `condition` holds, false if the job ends or the time runs out first. */
async function until(job: Job, condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end && job.child.exitCode === null && job.child.signalCode === null) {
    if (condition()) return true;
    await sleep(50);
  }
  return false;
}

class Tally {
  readonly report: ScenarioReport;
  private readonly started = performance.now();
  round = 0;

  constructor(scenario: FaultScenario, fault: string, rounds: number) {
    this.report = {
      scenario,
      fault,
      rounds,
      faultsInjected: 0,
      integrityFailures: 0,
      duplicates: 0,
      lost: 0,
      orphans: 0,
      failures: 0,
      problems: [],
      seconds: 0,
    };
  }

  problem(kind: 'integrityFailures' | 'duplicates' | 'lost' | 'orphans' | 'failures', count: number, what: string): void {
    if (count <= 0) return;
    this.report[kind] += count;
    if (this.report.problems.length < 20) this.report.problems.push(`round ${this.round}: ${what}`);
  }

  done(): ScenarioReport {
    this.report.seconds = (performance.now() - this.started) / 1000;
    return this.report;
  }
}

/**
 * Kills the runtime without warning, then waits for everything it had started to exit by itself (workers read the
 * closed pipe, the trainer its next event); what is still alive after the grace period is an orphan, killed then.
 */
async function killRuntime(job: Job, tally: Tally): Promise<boolean> {
  if (job.child.exitCode !== null || job.child.signalCode !== null) return false;
  const started = descendants(job.child.pid!);
  job.child.kill('SIGKILL');
  await job.closed;
  tally.report.faultsInjected++;
  const left = await waitGone(
    started.map((p) => p.pid),
    ORPHAN_GRACE_MS,
  );
  tally.problem(
    'orphans',
    left.length,
    `left running after the runtime was killed: ${left.map((p) => `${p.pid} ${p.command.slice(0, 80)}`).join('; ')}`,
  );
  killAll(left.map((p) => p.pid));
  return true;
}

/** What every round reads from a dataset, opened as the next process would open it (marking dead runs interrupted). */
export interface DatasetFindings {
  /** SQLite's integrity and foreign-key problems, and episodes whose steps are not 0..step_count-1. */
  problems: string[];
  /** Complete episodes by id, with the item each played. */
  complete: Map<number, string>;
  /** Items with more than one complete episode of the same source, agent and adapter. */
  duplicateItems: number;
  episodes: number;
  running: number;
}

export async function inspectDataset(db: string, filter: { source?: EpisodeSource } = {}): Promise<DatasetFindings> {
  const findings: DatasetFindings = { problems: [], complete: new Map(), duplicateItems: 0, episodes: 0, running: 0 };
  if (!fs.existsSync(db)) return findings;
  const store = await DatasetStore.open(db);
  try {
    const broken = await store.db.all<{ id: number }>(
      `SELECT e.id FROM episodes e LEFT JOIN (SELECT episode_id, COUNT(*) AS n, MAX(idx) AS top FROM steps GROUP BY episode_id) s
         ON s.episode_id = e.id WHERE COALESCE(s.n, 0) != e.step_count OR COALESCE(s.top, -1) != COALESCE(s.n, 0) - 1`,
    );
    findings.problems = [...(await store.integrityProblems()), ...broken.map((b) => `episode ${b.id} has missing steps`)];
    const episodes = await store.episodes.list(filter);
    findings.episodes = episodes.length;
    const seen = new Map<string, number>();
    for (const e of episodes) {
      if (e.status === 'running') findings.running++;
      if (e.status !== 'complete') continue;
      const item = `${e.source}|${e.agent}|${e.adapter ?? ''}|${itemKey(e)}`;
      findings.complete.set(e.id, item);
      seen.set(item, (seen.get(item) ?? 0) + 1);
    }
    findings.duplicateItems = [...seen.values()].filter((n) => n > 1).length;
    return findings;
  } finally {
    await store.close();
  }
}

async function checkDataset(db: string, tally: Tally, filter: { source?: EpisodeSource } = {}): Promise<DatasetFindings> {
  const findings = await inspectDataset(db, filter);
  tally.problem('integrityFailures', findings.problems.length, `${db}: ${findings.problems.join('; ')}`);
  return findings;
}

/** Finished episodes present before a fault must all be there after it, and no item may be stored twice. */
function compare(before: DatasetFindings, after: DatasetFindings, tally: Tally): void {
  const lost = [...before.complete.keys()].filter((id) => !after.complete.has(id));
  tally.problem('lost', lost.length, `finished episodes gone after the fault: ${lost.join(', ')}`);
  tally.problem('duplicates', after.duplicateItems, `${after.duplicateItems} items stored twice`);
  tally.problem('integrityFailures', after.running, `${after.running} episodes still read as running after a reopen`);
}

/**
 * Kill -9 of the runtime at a random moment, round after round: the same command resumes the job on its dataset each
 * time, and once a dataset's job is done the next round starts a fresh one, so that kills keep landing mid-work. At the
 * end the same command finishes the last dataset's job.
 */
async function killRuntimeRounds(
  tally: Tally,
  options: FaultBenchOptions,
  random: () => number,
  job: { name: string; args: (db: string) => string[]; source: EpisodeSource; episodes: number; windowMs: [number, number] },
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  let serial = 1;
  const dbOf = (n: number) => path.join(options.dir, `${job.name}-${n}.db`);
  let before = await checkDataset(dbOf(serial), tally, { source: job.source });
  for (tally.round = 1; tally.round <= options.rounds; tally.round++) {
    const running = startCli(job.args(dbOf(serial)));
    const [lo, hi] = job.windowMs;
    const at = lo + random() * (hi - lo);
    await Promise.race([sleep(at), running.closed]);
    const killed = await killRuntime(running, tally);
    if (!killed) {
      const { code } = await running.closed;
      tally.problem('failures', code === 0 ? 0 : 1, `the job ended with code ${code} before its fault: ${tail(running.output.stderr)}`);
    }
    options.log(`  ${tally.report.scenario} round ${tally.round}: ${killed ? `killed at ${(at / 1000).toFixed(1)} s` : 'finished before its fault'}`);
    const after = await checkDataset(dbOf(serial), tally, { source: job.source });
    compare(before, after, tally);
    before = after;
    if (after.complete.size >= job.episodes) {
      serial++;
      before = await checkDataset(dbOf(serial), tally, { source: job.source });
    }
  }
  const final = await runToEnd(job.args(dbOf(serial)));
  tally.problem('failures', final.code === 0 ? 0 : 1, `the final run ended with code ${final.code}: ${tail(final.stderr)}`);
  const after = await checkDataset(dbOf(serial), tally, { source: job.source });
  compare(before, after, tally);
  tally.problem('lost', job.episodes - after.complete.size, `${after.complete.size} of ${job.episodes} episodes stored at the end`);
  return final;
}

/**
 * Kills up to `count` of the job's child processes matching `match` (environment workers, the trainer), each at a
 * random moment of its life, while the runtime lives on; returns how many were killed.
 */
async function killChildren(
  tally: Tally,
  log: (line: string) => void,
  random: () => number,
  job: Job,
  target: { name: string; match: RegExp; count: number; maxDelayMs: number; after?: RegExp },
): Promise<number> {
  const killed = new Set<number>();
  // Kills aimed at work in progress: wait for the job's first sign of it (a finished episode on its progress line).
  if (target.after && !(await until(job, () => target.after!.test(job.output.stderr), 300_000))) return 0;
  while (killed.size < target.count) {
    let pid: number | undefined;
    const found = await until(
      job,
      () => {
        pid = descendants(job.child.pid!).find((p) => target.match.test(p.command) && !killed.has(p.pid))?.pid;
        return pid !== undefined;
      },
      120_000,
    );
    if (!found) break;
    await sleep(random() * target.maxDelayMs);
    try {
      process.kill(pid!, 'SIGKILL');
    } catch {
      continue; // it ended on its own meanwhile
    }
    killed.add(pid!);
    tally.report.faultsInjected++;
    log(`  ${tally.report.scenario} fault ${tally.report.faultsInjected}: killed the ${target.name} (pid ${pid})`);
  }
  return killed.size;
}

/** A count from a command's JSON output (an array counts its entries); NaN when the output is not that JSON. */
function countOf(stdout: string, key: string): number {
  try {
    const value = (JSON.parse(stdout) as Record<string, unknown>)[key] ?? 0;
    return Array.isArray(value) ? value.length : Number(value);
  } catch {
    return NaN;
  }
}

// ---- the scenarios ----

const DEMO_GAMES = 4;

function demosArgs(db: string, limit: number): string[] {
  return ['demos', '--env', 'alfworld', '--split', 'valid_train', '--limit', String(limit), '--db', db, '--json'];
}

async function demosScenario(options: FaultBenchOptions, random: () => number): Promise<ScenarioReport> {
  const tally = new Tally('demos', 'kill -9 of the runtime during ALFWorld expert demonstrations', options.rounds);
  const args = (db: string) => demosArgs(db, DEMO_GAMES);
  await killRuntimeRounds(tally, options, random, { name: 'demos', args, source: 'expert', episodes: DEMO_GAMES, windowMs: [500, 6_000] });
  return tally.done();
}

function evalArgs(options: FaultBenchOptions, db: string, limit: number): string[] {
  return [
    'eval',
    '--env',
    'alfworld',
    '--split',
    'valid_seen',
    '--limit',
    String(limit),
    '--max-steps',
    '6',
    '--model',
    options.model,
    '--gpu',
    'cpu',
    '--threads',
    '1',
    '--db',
    db,
    '--json',
  ];
}

async function evalScenario(options: FaultBenchOptions, random: () => number): Promise<ScenarioReport> {
  const tally = new Tally('eval', 'kill -9 of the runtime during an ALFWorld evaluation', options.rounds);
  const args = (db: string) => evalArgs(options, db, 4);
  const final = await killRuntimeRounds(tally, options, random, { name: 'eval', args, source: 'policy', episodes: 4, windowMs: [500, 5_000] });
  const missing = countOf(final.stdout, 'missing');
  tally.problem('lost', missing === 0 ? 0 : 1, `the final evaluation reports ${missing} episodes missing`);
  return tally.done();
}

/** Expert demonstrations from the demos scenario's dataset (made here if that scenario did not run). */
async function demonstrations(options: FaultBenchOptions, games: number): Promise<string> {
  const db = path.join(options.dir, 'source.db');
  const made = await runToEnd(demosArgs(db, games));
  if (made.code !== 0) throw new FaultBenchError(`could not collect the demonstrations the bench needs: ${tail(made.stderr)}`);
  return db;
}

/** The bench's expert demonstrations as a JSONL file of that name in its folder. */
async function exportedDemonstrations(options: FaultBenchOptions, name: string): Promise<string> {
  const file = path.join(options.dir, name);
  const source = await demonstrations(options, DEMO_GAMES);
  const exported = await runToEnd(['dataset', 'export', '--format', 'jsonl', '--out', file, '--db', source, '--source', 'expert']);
  if (exported.code !== 0) throw new FaultBenchError(`export failed: ${tail(exported.stderr)}`);
  return file;
}

async function annotated(db: string): Promise<number> {
  const store = await DatasetStore.open(db);
  try {
    return (await store.annotations.status({})).length;
  } finally {
    await store.close();
  }
}

async function importScenario(options: FaultBenchOptions, random: () => number): Promise<ScenarioReport> {
  const tally = new Tally('import', 'kill -9 of the runtime during an import and its annotation', options.rounds);
  // Enough episodes that an import with its annotation takes seconds: the demonstrations, many times over.
  const lines = fs
    .readFileSync(await exportedDemonstrations(options, 'one.jsonl'), 'utf8')
    .trim()
    .split('\n');
  const copies = 300;
  const file = path.join(options.dir, 'many.jsonl');
  fs.writeFileSync(file, Array.from({ length: copies }, () => lines.join('\n')).join('\n') + '\n');
  const expected = lines.length * copies;
  let serial = 1;
  const dbOf = (n: number) => path.join(options.dir, `import-${n}.db`);
  const argsOf = (n: number) => ['dataset', 'import', file, '--format', 'jsonl', '--db', dbOf(n), '--json'];
  // One unfaulted import times the job on this machine; the kills then land inside that span.
  const clean = await runToEnd(argsOf(0));
  if (clean.code !== 0) throw new FaultBenchError(`the unfaulted import failed: ${tail(clean.stderr)}`);
  options.log(`  import: the unfaulted import took ${(clean.ms / 1000).toFixed(1)} s`);
  for (tally.round = 1; moreRounds(tally, options.rounds); tally.round++) {
    const running = startCli(argsOf(serial));
    const at = momentWithin(random, clean.ms);
    await Promise.race([sleep(at), running.closed]);
    const killed = await killRuntime(running, tally);
    options.log(`  import round ${tally.round}: ${killed ? `killed at ${(at / 1000).toFixed(1)} s` : 'finished before its fault'}`);
    const state = await checkDataset(dbOf(serial), tally);
    // All or nothing, and never twice.
    tally.problem('duplicates', state.episodes > expected ? state.episodes - expected : 0, `${state.episodes} episodes for ${expected} in the file`);
    tally.problem(
      'lost',
      state.episodes !== 0 && state.episodes < expected ? expected - state.episodes : 0,
      `a partial import: ${state.episodes} of ${expected}`,
    );
    if (state.episodes === expected && (await annotated(dbOf(serial))) === expected) serial++; // done: the next kill lands on a fresh import
  }
  const db = dbOf(serial);
  const args = argsOf(serial);
  const final = await runToEnd(args);
  tally.problem('failures', final.code === 0 ? 0 : 1, `the final import ended with code ${final.code}: ${tail(final.stderr)}`);
  const store = await DatasetStore.open(db);
  try {
    const episodes = (await store.episodes.list()).length;
    tally.problem('duplicates', Math.max(0, episodes - expected), `${episodes} episodes for ${expected}`);
    tally.problem('lost', Math.max(0, expected - episodes), `${episodes} episodes for ${expected}`);
    const unannotated = episodes - (await store.annotations.status({})).length;
    tally.problem('lost', unannotated, `${unannotated} imported episodes left without their annotation`);
  } finally {
    await store.close();
  }
  return tally.done();
}

async function envWorkersScenario(options: FaultBenchOptions, random: () => number): Promise<ScenarioReport> {
  const tally = new Tally(
    'env-workers',
    'kill -9 of environment workers during demonstrations and an evaluation; the runtime lives on',
    options.rounds,
  );
  // A kill breaks at most the episode in flight: a few more episodes than kills leave the job work after the last.
  const episodes = options.rounds + 4;
  const jobs = [
    { name: 'demos', db: path.join(options.dir, 'workers-demos.db'), args: (db: string) => demosArgs(db, episodes), maxDelayMs: 1_500 },
    { name: 'eval', db: path.join(options.dir, 'workers-eval.db'), args: (db: string) => evalArgs(options, db, episodes), maxDelayMs: 1_500 },
  ];
  for (const spec of jobs) {
    let kills = 0;
    // A job that ends before its kills have landed is started again (it resumes), at most three times.
    for (let attempt = 1; kills < options.rounds && attempt <= 3; attempt++) {
      tally.round = kills + 1;
      const before = await checkDataset(spec.db, tally);
      const job = startCli(spec.args(spec.db));
      const landed = await killChildren(tally, options.log, random, job, {
        name: 'environment worker',
        match: /stephrl_env\.worker/,
        count: options.rounds - kills,
        maxDelayMs: spec.maxDelayMs,
        after: /\] \d+\/\d+ /,
      });
      kills += landed;
      const { code, signal } = await job.closed;
      // Each kill may fail the episode it was playing (exit code 1, said so); the runtime must not crash.
      tally.problem(
        'failures',
        code === 0 || code === 1 ? 0 : 1,
        `${spec.name}: the runtime ended with ${signal ?? `code ${code}`} after ${landed} worker kills: ${tail(job.output.stderr)}`,
      );
      const failed = countOf(job.output.stdout, spec.name === 'demos' ? 'failed' : 'failures');
      tally.problem('failures', failed > landed ? failed - landed : 0, `${spec.name}: ${failed} episodes failed for ${landed} kills`);
      compare(before, await checkDataset(spec.db, tally), tally);
    }
    const before = await checkDataset(spec.db, tally);
    const final = await runToEnd(spec.args(spec.db));
    tally.problem('failures', final.code === 0 ? 0 : 1, `${spec.name}: the rerun ended with code ${final.code}: ${tail(final.stderr)}`);
    const after = await checkDataset(spec.db, tally);
    compare(before, after, tally);
    tally.problem('lost', episodes - after.complete.size, `${spec.name}: ${after.complete.size} of ${episodes} episodes at the end`);
  }
  return tally.done();
}

async function writersScenario(options: FaultBenchOptions, random: () => number): Promise<ScenarioReport> {
  const tally = new Tally('writers', 'two writers on one new dataset at once: two demonstration runs, or two imports of one file', options.rounds);
  const file = await exportedDemonstrations(options, 'writers.jsonl');
  for (tally.round = 1; tally.round <= options.rounds; tally.round++) {
    const db = path.join(options.dir, `writers-${tally.round}.db`);
    const demos = tally.round % 2 === 1;
    const args = demos ? demosArgs(db, 2) : ['dataset', 'import', file, '--format', 'jsonl', '--db', db, '--json'];
    const first = startCli(args);
    await sleep(random() * 1_500);
    const second = startCli(args);
    const ends = await Promise.all([first.closed, second.closed]);
    ends.forEach(({ code }, i) =>
      tally.problem('failures', code === 0 ? 0 : 1, `writer ${i + 1} ended with code ${code}: ${tail([first, second][i]!.output.stderr)}`),
    );
    tally.report.faultsInjected++;
    const state = await checkDataset(db, tally);
    const expected = demos ? 2 : DEMO_GAMES;
    tally.problem('duplicates', state.duplicateItems + Math.max(0, state.episodes - expected), `${state.episodes} episodes for ${expected}`);
    tally.problem('lost', Math.max(0, expected - state.complete.size), `${state.complete.size} of ${expected} episodes stored`);
    options.log(`  writers round ${tally.round}: ${demos ? 'two demonstration runs' : 'two imports'}, ${state.episodes} episodes`);
  }
  return tally.done();
}

const TRAIN_STEPS = 8;
/** Small batches and a checkpoint every other step: CPU steps are quick and a kill always has a checkpoint behind it. */
const TRAIN_CONFIG = JSON.stringify({ max_length: 4096, micro_batch_size: 2, global_batch_size: 4, checkpoint_every: 2 });

async function trainingData(options: FaultBenchOptions, name: string): Promise<string> {
  const db = path.join(options.dir, `${name}.db`);
  for (const args of [demosArgs(db, 2), ['annotate', '--db', db], ['dataset', 'transitions', '--db', db]]) {
    const made = await runToEnd(args);
    if (made.code !== 0) throw new FaultBenchError(`could not prepare the training data (stephrl ${args[0]}): ${tail(made.stderr)}`);
  }
  return db;
}

function trainArgs(options: FaultBenchOptions, db: string, out: string): string[] {
  return [
    'train',
    'bc',
    '--db',
    db,
    '--model',
    options.model,
    '--steps',
    String(TRAIN_STEPS),
    '--out',
    out,
    '--config',
    TRAIN_CONFIG,
    '--cpu',
    '--json',
  ];
}

/** A training run's metric rows: one per step, none twice, none missing up to where it got. */
async function checkTraining(db: string, tally: Tally, complete: boolean): Promise<void> {
  const store = await DatasetStore.open(db);
  try {
    const [run] = await store.runs.list('train');
    if (!run) return;
    const steps = (await store.runs.metrics(run.id)).filter((m) => m.name === 'loss_bc_low').map((m) => m.step);
    const twice = steps.length - new Set(steps).size;
    tally.problem('duplicates', twice, `${twice} training steps logged twice`);
    const top = Math.max(0, ...steps);
    const missing = top - new Set(steps).size;
    tally.problem('lost', missing, `${missing} training steps missing below step ${top}`);
    if (complete) {
      tally.problem('failures', run.status === 'complete' ? 0 : 1, `the run reads ${run.status} after the final command`);
      tally.problem('lost', TRAIN_STEPS - top, `the final run stopped at step ${top} of ${TRAIN_STEPS}`);
    } else if (run.status === 'running') tally.problem('integrityFailures', 1, 'the killed run still reads running');
    tally.problem('integrityFailures', (await store.integrityProblems()).length, 'integrity check failed');
  } finally {
    await store.close();
  }
}

/** A copy of a prepared (closed) dataset under a new name, so that each training run starts from the same data. */
function copyDataset(db: string, name: string): string {
  const copy = path.join(path.dirname(db), `${name}.db`);
  for (const suffix of ['', '-wal', '-shm']) if (fs.existsSync(db + suffix)) fs.copyFileSync(db + suffix, copy + suffix);
  return copy;
}

async function trainScenario(options: FaultBenchOptions, random: () => number): Promise<ScenarioReport> {
  const tally = new Tally('train', 'kill -9 of the runtime during behaviour cloning (its trainer must stop too)', options.rounds);
  const prepared = await trainingData(options, 'train');
  const runOf = (n: number) => ({ db: copyDataset(prepared, `train-${n}`), out: path.join(options.dir, `train-killed-${n}`) });
  // One unfaulted run times a whole training on this machine (Python and the model included); kills land inside it.
  const unfaulted = runOf(0);
  const clean = await runToEnd(trainArgs(options, unfaulted.db, unfaulted.out));
  tally.problem('failures', clean.code === 0 ? 0 : 1, `the unfaulted training ended with code ${clean.code}: ${tail(clean.stderr)}`);
  await checkTraining(unfaulted.db, tally, true);
  options.log(`  train: the unfaulted run took ${(clean.ms / 1000).toFixed(1)} s`);
  let serial = 1;
  let run = runOf(serial);
  for (tally.round = 1; moreRounds(tally, options.rounds); tally.round++) {
    // The same command resumes the killed run from its last checkpoint, round after round.
    const running = startCli(trainArgs(options, run.db, run.out));
    const at = momentWithin(random, clean.ms, 1_000);
    await Promise.race([sleep(at), running.closed]);
    const killed = await killRuntime(running, tally);
    if (!killed) {
      const { code } = await running.closed;
      tally.problem('failures', code === 0 ? 0 : 1, `training ended with code ${code} before its fault: ${tail(running.output.stderr)}`);
    }
    options.log(`  train round ${tally.round}: ${killed ? `killed at ${(at / 1000).toFixed(1)} s` : 'finished before its fault'}`);
    await checkTraining(run.db, tally, !killed);
    if (!killed) run = runOf(++serial); // done: the next kill lands on a fresh run
  }
  const final = await runToEnd(trainArgs(options, run.db, run.out));
  tally.problem('failures', final.code === 0 ? 0 : 1, `the final training command ended with code ${final.code}: ${tail(final.stderr)}`);
  await checkTraining(run.db, tally, true);
  return tally.done();
}

async function trainerScenario(options: FaultBenchOptions, random: () => number): Promise<ScenarioReport> {
  const tally = new Tally('trainer', 'kill -9 of the Python trainer; the runtime reports it and the same command resumes', options.rounds);
  const db = await trainingData(options, 'trainer');
  const args = trainArgs(options, db, path.join(options.dir, 'trainer-killed'));
  for (tally.round = 1; tally.round <= options.rounds; tally.round++) {
    const running = startCli(args);
    const kills = await killChildren(tally, options.log, random, running, { name: 'trainer', match: /stephrl_train/, count: 1, maxDelayMs: 5_000 });
    const { code, signal } = await running.closed;
    if (kills) {
      // The runtime outlives its trainer: a clear failure naming it, not a crash and not a success.
      const told = code !== null && code !== 0 && /trainer/i.test(running.output.stderr);
      tally.problem(
        'failures',
        told ? 0 : 1,
        `after the trainer's death the runtime ended with ${signal ?? `code ${code}`}: ${tail(running.output.stderr)}`,
      );
    } else tally.problem('failures', code === 0 ? 0 : 1, `training ended with code ${code} before its fault: ${tail(running.output.stderr)}`);
    options.log(`  trainer round ${tally.round}: ${kills ? 'trainer killed' : 'finished before its fault'}`);
    await checkTraining(db, tally, false);
  }
  const final = await runToEnd(args);
  tally.problem('failures', final.code === 0 ? 0 : 1, `the final training command ended with code ${final.code}: ${tail(final.stderr)}`);
  await checkTraining(db, tally, true);
  return tally.done();
}

const RUNNERS: Record<FaultScenario, (options: FaultBenchOptions, random: () => number) => Promise<ScenarioReport>> = {
  demos: demosScenario,
  'env-workers': envWorkersScenario,
  writers: writersScenario,
  import: importScenario,
  eval: evalScenario,
  train: trainScenario,
  trainer: trainerScenario,
};

export async function benchFaults(options: FaultBenchOptions): Promise<FaultBenchResult> {
  fs.mkdirSync(options.dir, { recursive: true });
  const scenarios: ScenarioReport[] = [];
  for (const scenario of options.scenarios) {
    options.log(`faults: ${scenario} (${options.rounds} rounds)`);
    // Each scenario draws from its own stream, so choosing fewer scenarios does not move the others' moments.
    scenarios.push(await RUNNERS[scenario](options, seededRandom(options.seed * 1000 + FAULT_SCENARIOS.indexOf(scenario))));
  }
  const sum = (key: 'rounds' | 'faultsInjected' | 'integrityFailures' | 'duplicates' | 'lost' | 'orphans' | 'failures' | 'seconds') =>
    scenarios.reduce((total, s) => total + s[key], 0);
  const totals = {
    rounds: sum('rounds'),
    faultsInjected: sum('faultsInjected'),
    integrityFailures: sum('integrityFailures'),
    duplicates: sum('duplicates'),
    lost: sum('lost'),
    orphans: sum('orphans'),
    failures: sum('failures'),
    seconds: sum('seconds'),
  };
  return {
    suite: 'faults',
    seed: options.seed,
    rounds: options.rounds,
    scenarios,
    totals: { ...totals, ok: !totals.integrityFailures && !totals.duplicates && !totals.lost && !totals.orphans && !totals.failures },
    machine: {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? 'unknown',
      memoryGb: Math.round(os.totalmem() / 2 ** 30),
      platform: `${os.platform()}-${os.arch()}`,
    },
  };
}
