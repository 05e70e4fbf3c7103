/** `stephrl bench <suite>` (also `npm run bench -- <suite>`): machine-readable benchmarks. */
import type { Command } from 'commander';
import * as os from 'node:os';
import { EnvKind } from '../protocol/environment';
import { benchEnv } from '../bench/env-bench';
import { benchStore } from '../bench/store-bench';
import { BENCH_PARTS, benchAgent, DecisionStreamsError, readDecisionStreams, type BenchPart } from '../bench/agent-bench';
import { resolveModelPath } from '../util/paths';
import { benchTrain } from '../bench/train-bench';
import { LEARN_CONFIG, runLearnCheck } from '../bench/learn-bench';
import { stateDir } from '../util/paths';
import { stderrLogger } from '../util/log';
import * as path from 'node:path';
import { benchWebviewCurves, benchWebviewEpisode } from '../bench/webview-bench';
import { parseGpu } from './model-options';
import { resolveAdapter } from '../llm/shipped-adapters';
import { parsePositiveInt, UsageError } from './episode-args';
import { printJson } from './output';
import { benchFaults, FAULT_SCENARIOS, type FaultScenario } from '../bench/fault-bench';
import * as fs from 'node:fs';

/** Marks a folder as the fault bench's own, so that a later run may empty it (and no other). */
const FAULTS_MARKER = '.stephrl-faults';

/** Empties the bench's work folder: one it made before, or an empty or missing one; anything else is refused. */
function emptyWorkFolder(dir: string): void {
  if (fs.existsSync(dir)) {
    const entries = fs.readdirSync(dir);
    if (entries.length && !entries.includes(FAULTS_MARKER)) {
      throw new UsageError(`--dir ${dir} holds files the fault bench did not make: give an empty or new folder`);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, FAULTS_MARKER), 'work folder of `stephrl bench faults`: emptied by its next run\n');
}

export function registerBenchCommands(program: Command): void {
  const bench = program.command('bench').description('benchmarks; print JSON');
  bench
    .command('env')
    .description('worker-pool throughput vs a direct Python loop, and 2 workers vs 1, for both environments')
    .option('--env <list>', 'environments to measure', 'scienceworld,alfworld')
    .option('--episodes <n>', 'distinct expert episodes per environment', '4')
    .option('--repeats <n>', 'timed replays of each episode (after one warm-up pass)', '3')
    .option('--rounds <n>', 'alternating rounds of direct and pooled runs; the best of each is kept', '2')
    .action(async (opts: { env: string; episodes: string; repeats: string; rounds: string }) => {
      const kinds = opts.env.split(',').map((e) => {
        const parsed = EnvKind.safeParse(e);
        if (!parsed.success) throw new UsageError(`unknown environment '${e}'`);
        return parsed.data;
      });
      const results = [];
      for (const kind of kinds) {
        process.stderr.write(`benchmarking ${kind}...\n`);
        results.push(
          await benchEnv(kind, {
            episodes: parsePositiveInt(opts.episodes, '--episodes'),
            repeats: parsePositiveInt(opts.repeats, '--repeats'),
            rounds: parsePositiveInt(opts.rounds, '--rounds'),
          }),
        );
      }
      printJson({
        suite: 'env',
        machine: { cpus: os.cpus().length, node: process.versions.node, platform: `${os.platform()}-${os.arch()}` },
        targets: { overheadRatio: 0.9, parallelSpeedup: 1.7 },
        results,
      });
    });
  bench
    .command('store')
    .description('dataset speed: batched step inserts vs row by row, and deriving the ScienceWorld train transitions')
    .option('--db <path>', 'a dataset holding the ScienceWorld train split (else a replica of real episodes is used)')
    .action(async (opts: { db?: string }) => {
      const result = await benchStore(opts.db ? { db: opts.db } : {});
      printJson({ machine: { cpus: os.cpus().length, node: process.versions.node, platform: `${os.platform()}-${os.arch()}` }, ...result });
    });
  bench
    .command('agent')
    .description(
      'prompt tokens per agent on replayed expert episodes, prefix-reuse latency, parallel-episode throughput, drafted against plain decoding',
    )
    .option('--model <path>', 'GGUF model (default: $STEPHRL_MODEL or the model installed by setup)')
    .option('--gpu <mode>', 'auto, cpu, cuda, vulkan or metal', 'auto')
    .option('--threads <n>', 'CPU threads for the model (default: all cores)')
    .option('--token-episodes <n>', 'episodes per environment in the token replay (default: ScienceWorld test 211, ALFWorld seen 140)')
    .option('--decisions <n>', 'STEP-HRL decisions per episode stream in the latency, throughput, adapter and drafts runs', '16')
    .option('--rounds <n>', 'alternating rounds of each variant; the best of each is kept', '2')
    .option(
      '--adapter <path|name>',
      'LoRA adapter GGUF or shipped name: adds the adapter part (merged into the model vs applied beside it); the drafts part runs with it',
    )
    .option('--only <list>', `measure only some of ${BENCH_PARTS.join(', ')} (adapter: with --adapter)`)
    .option('--save-calls <file>', 'write the STEP-HRL decision streams of the latency and throughput runs to this JSON file')
    .option('--calls <file>', 'read the decision streams from a --save-calls file instead of running ScienceWorld')
    .action(
      async (opts: {
        model?: string;
        gpu: string;
        threads?: string;
        tokenEpisodes?: string;
        decisions: string;
        rounds: string;
        only?: string;
        adapter?: string;
        saveCalls?: string;
        calls?: string;
      }) => {
        const chosen = opts.only ?? BENCH_PARTS.filter((p) => p !== 'adapter' || opts.adapter).join(',');
        const parts = new Set(
          chosen.split(',').map((p) => {
            if (!(BENCH_PARTS as readonly string[]).includes(p)) throw new UsageError(`--only takes ${BENCH_PARTS.join(', ')}, not '${p}'`);
            return p as BenchPart;
          }),
        );
        if (parts.has('adapter') && !opts.adapter) throw new UsageError('the adapter part needs --adapter');
        if ((opts.calls || opts.saveCalls) && !parts.has('latency') && !parts.has('throughput') && !parts.has('adapter')) {
          throw new UsageError('--calls and --save-calls apply to the latency and throughput parts: add one of them to --only');
        }
        let streams;
        try {
          streams = opts.calls ? readDecisionStreams(opts.calls) : undefined;
        } catch (error) {
          if (error instanceof DecisionStreamsError) throw new UsageError(error.message);
          throw error;
        }
        const result = await benchAgent({
          parts,
          modelPath: resolveModelPath(opts.model),
          gpu: parseGpu(opts.gpu),
          decisions: parsePositiveInt(opts.decisions, '--decisions'),
          rounds: parsePositiveInt(opts.rounds, '--rounds'),
          log: (line) => process.stderr.write(`${line}\n`),
          ...(opts.threads ? { threads: parsePositiveInt(opts.threads, '--threads') } : {}),
          ...(opts.tokenEpisodes ? { tokenEpisodes: parsePositiveInt(opts.tokenEpisodes, '--token-episodes') } : {}),
          ...(streams ? { streams } : {}),
          ...(opts.saveCalls ? { saveCallsFile: opts.saveCalls } : {}),
          ...(opts.adapter ? { adapterPath: resolveAdapter(opts.adapter).path } : {}),
        });
        printJson({ machine: { cpus: os.cpus().length, node: process.versions.node, platform: `${os.platform()}-${os.arch()}` }, ...result });
      },
    );
  bench
    .command('train')
    .description(
      'training speed of behaviour cloning and offline RL, reference path (every sample whole) against the fast path (shared prefixes once): tokens/s, processed tokens/s, samples/s, memory, model FLOPs utilisation, speedup; JSON',
    )
    .option('--model <path>', 'base model, GGUF or Hugging Face folder (default: $STEPHRL_MODEL or the model installed by setup)')
    .option('--db <path>', 'dataset with a transition set (default: a small one made from real expert episodes)')
    .option('--steps <n>', 'optimizer steps per algorithm (the first is not timed)', '6')
    .option('--preset <name>', 'trainer preset', 'cpu-small')
    .option('--config <json>', 'trainer settings over the preset', '{}')
    .option('--cpu', 'measure on the CPU even where a GPU is present')
    .action(async (opts: { model?: string; db?: string; steps: string; preset: string; config: string; cpu?: boolean }) => {
      const result = await benchTrain({
        model: resolveModelPath(opts.model),
        steps: parsePositiveInt(opts.steps, '--steps'),
        preset: opts.preset,
        config: JSON.parse(opts.config) as Record<string, unknown>,
        cpu: Boolean(opts.cpu),
        log: (line) => process.stderr.write(`${line}\n`),
        ...(opts.db ? { db: opts.db } : {}),
      });
      printJson(result);
    });
  bench
    .command('faults')
    .description(
      'fault injection: kill -9 of the runtime, its environment workers and its trainer at seeded random moments during demonstrations, evaluation, import and training, and two writers on one dataset; after every round the dataset is checked (integrity, nothing lost, nothing twice, nothing left running) and the same command finishes the job (JSON; exit code 1 on any problem)',
    )
    .option('--rounds <n>', 'faults per scenario', '10')
    .option('--seed <n>', 'seed of the kill moments', '1')
    .option('--only <list>', `run only some of ${FAULT_SCENARIOS.join(', ')}`, FAULT_SCENARIOS.join(','))
    .option('--model <path>', 'GGUF model for the evaluation and training scenarios (default: $STEPHRL_MODEL or the model installed by setup)')
    .option(
      '--dir <dir>',
      "work folder (new, empty, or an earlier run of this bench's), emptied first and kept afterwards for inspection",
      path.join(stateDir, 'faults'),
    )
    .action(async (opts: { rounds: string; seed: string; only: string; model?: string; dir: string }) => {
      const scenarios = opts.only.split(',').map((s) => {
        if (!(FAULT_SCENARIOS as readonly string[]).includes(s)) throw new UsageError(`--only takes ${FAULT_SCENARIOS.join(', ')}, not '${s}'`);
        return s as FaultScenario;
      });
      const seed = Number(opts.seed);
      if (!Number.isSafeInteger(seed) || seed < 0) throw new UsageError(`--seed must be a whole number >= 0, not '${opts.seed}'`);
      const dir = path.resolve(opts.dir);
      emptyWorkFolder(dir);
      const result = await benchFaults({
        scenarios,
        rounds: parsePositiveInt(opts.rounds, '--rounds'),
        seed,
        model: resolveModelPath(opts.model),
        dir,
        log: (line) => process.stderr.write(`${line}\n`),
      });
      printJson(result);
      if (!result.totals.ok) process.exitCode = 1;
    });
  bench
    .command('learn')
    .description(
      'the learning check: behaviour cloning on the first ALFWorld valid_train demonstrations, then the greedy agent replays them (JSON; exit code 1 when it fails)',
    )
    .option('--model <path>', 'base model GGUF (default: $STEPHRL_MODEL or the model installed by setup)')
    .option('--games <n>', 'demonstrations learned and games replayed', '3')
    .option('--required <n>', 'games the agent must win', '2')
    .option('--steps <n>', 'behaviour-cloning optimizer steps', '48')
    .option('--config <json>', `trainer settings over the check's own (${JSON.stringify(LEARN_CONFIG)})`, '{}')
    .option('--dir <dir>', 'folder of its dataset and training run (resumable)', path.join(stateDir, 'learn'))
    .option('--constrained', 'constrain actions to the admissible commands')
    .option('--max-steps <n>', 'environment steps per replayed game', '50')
    .option('--cpu', 'train on the CPU even where a GPU is present')
    .action(
      async (opts: {
        model?: string;
        games: string;
        required: string;
        steps: string;
        config: string;
        dir: string;
        constrained?: boolean;
        maxSteps: string;
        cpu?: boolean;
      }) => {
        const games = parsePositiveInt(opts.games, '--games');
        const required = parsePositiveInt(opts.required, '--required');
        if (required > games) throw new UsageError(`--required ${required} is more than --games ${games}`);
        let config: Record<string, unknown>;
        try {
          config = JSON.parse(opts.config) as Record<string, unknown>;
        } catch (error) {
          throw new UsageError(`--config is not JSON: ${(error as Error).message}`);
        }
        const result = await runLearnCheck({
          model: resolveModelPath(opts.model),
          games,
          required,
          steps: parsePositiveInt(opts.steps, '--steps'),
          config,
          dir: path.resolve(opts.dir),
          constrained: Boolean(opts.constrained),
          maxSteps: parsePositiveInt(opts.maxSteps, '--max-steps'),
          cpu: Boolean(opts.cpu),
          log: stderrLogger(),
        });
        printJson({ suite: 'learn', ...result });
        if (!result.passed) process.exitCode = 1;
      },
    );
  bench
    .command('webview')
    .description('the webviews in headless Chromium: a 50-step episode drawn, a 100 000-point curve drawn, 100 points appended to it')
    .option('--points <n>', 'points of the long curve', '100000')
    .option('--appends <n>', 'live appends measured (100 points each)', '100')
    .option('--chromium <path>', 'Chromium to run (default: $STEPHRL_CHROMIUM or /usr/bin/chromium)')
    .action(async (opts: { points: string; appends: string; chromium?: string }) => {
      const chromium = opts.chromium ? { chromium: opts.chromium } : {};
      const episode = await benchWebviewEpisode(chromium);
      const curves = await benchWebviewCurves({
        ...chromium,
        points: parsePositiveInt(opts.points, '--points'),
        appends: parsePositiveInt(opts.appends, '--appends'),
        build: true,
      });
      printJson({
        machine: { cpus: os.cpus().length, node: process.versions.node, platform: `${os.platform()}-${os.arch()}` },
        episode,
        curves,
        // The targets: first render under 300 ms; the view's work to append 100 points under 5 ms.
        met: {
          episodeRender: episode.firstRender.medianMs < 300,
          curveRender: curves.firstRender.medianMs < 300,
          append: curves.append.workMedianMs < 5,
        },
      });
    });
}
