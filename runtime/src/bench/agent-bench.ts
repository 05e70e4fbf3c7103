/**
 * `stephrl bench agent`: what step-level prompts buy at inference, measured in one run on the same prompts and model.
 * - tokens: prompt tokens per decision and per episode of each agent on replayed expert trajectories (token-measure);
 * - latency: per-decision time of the STEP-HRL calls with the role prefix's KV cache reused vs evaluated every time;
 * - throughput: decisions per second with 4 episodes at once vs 1 at a time, the parallel ones in both layouts
 *   (sequences of one context batched into one decode; a context and a share of the threads each);
 * - adapter (with an adapter): per-decision time with the adapter merged into the model vs applied beside it;
 * - drafts: whole-stream time of STEP-HRL decisions on ALFWorld valid_train expert episodes (the adapter's own kind
 *   of data) with the progress role's previous progress as a draft vs one token per decode, and how many answers agree.
 * The decisions replayed are the exact calls the STEP-HRL agent makes on real expert episodes (rule-annotated), so
 * the prompts have their real sizes; each asks for as many tokens as the expert's answer has.
 * The streams can be saved to a JSON file (`saveCallsFile`) and read back instead of running ScienceWorld
 * (`callsFile`), so the model can be timed on a machine without the environments (a GPU machine, say).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import { z } from 'zod';
import { RULE_ANNOTATORS, annotatableTrajectory } from '../annotate/run';
import { DEFAULT_SIMPLIFICATIONS } from '../env/environment';
import { EXPERT_MAX_STEPS, runExpert } from '../env/expert';
import { WorkerPool } from '../env/pool';
import { listSplitItems } from '../env/split-items';
import { defaultParallelLayout, loadEmbeddedModel, type GpuMode } from '../llm/embedded';
import type { AdapterMode } from '../protocol/vocabulary';
import type { GenerateRequest, Generation, LanguageModel, ParallelLayout } from '../llm/types';
import { DECISION_MAX_TOKENS } from '../agent/episode-driver';
import { measureTokens, type TokenReport } from '../agent/token-measure';
import { replayCalls, transitionEpisode, type ReplayCall } from '../agent/token-replay';
import type { EnvKind } from '../protocol/environment';
import { resolveAlfworldData } from '../util/paths';
import { ErrorCodes, StudioError } from '../protocol/errors';

export interface AgentBenchOptions {
  modelPath: string;
  gpu: GpuMode;
  /** CPU threads; default all cores (no environment runs while the model is timed). */
  threads?: number;
  /** Episodes per environment for the token replay (default: the whole evaluation split). */
  tokenEpisodes?: number;
  /** Decisions per episode stream in the latency and throughput runs. */
  decisions: number;
  /** Alternating rounds of each variant; the best of each is kept. */
  rounds: number;
  /** Which measurements to make (default all). */
  parts: ReadonlySet<BenchPart>;
  /** A LoRA adapter GGUF for the adapter part (merged vs separate). */
  adapterPath?: string;
  /** Decision streams read with readDecisionStreams, used instead of running ScienceWorld (latency, throughput). */
  streams?: ReplayCall[][];
  /** Write the decision streams used (built or given) to this file, in the format readDecisionStreams reads. */
  saveCallsFile?: string;
  log: (line: string) => void;
}

export const BENCH_PARTS = ['tokens', 'latency', 'throughput', 'adapter', 'drafts'] as const;
export type BenchPart = (typeof BENCH_PARTS)[number];

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2) : NaN;
};
const round = (x: number, digits = 2) => Number(x.toFixed(digits));

/** The STEP-HRL calls of the first `episodes` episodes of a split (one per task; default ScienceWorld test), in the
 * agent's order. */
async function decisionStreams(episodes: number, decisions: number, env: EnvKind = 'scienceworld', split = 'test'): Promise<ReplayCall[][]> {
  const pool = new WorkerPool(env, { size: 1 });
  try {
    const items = await listSplitItems(pool, {
      env,
      split,
      perTaskLimit: 1,
      limit: episodes,
      simplifications: DEFAULT_SIMPLIFICATIONS,
      alfworldData: resolveAlfworldData(),
    });
    const streams: ReplayCall[][] = [];
    for (const item of items) {
      const trajectory = await pool.use((e) => runExpert(e, item.spec, { maxSteps: EXPERT_MAX_STEPS }));
      const episode = annotatableTrajectory(trajectory);
      streams.push(replayCalls(transitionEpisode(episode, RULE_ANNOTATORS[env](episode))).stephrl.slice(0, decisions));
    }
    return streams;
  } finally {
    await pool.close();
  }
}

/** The file format of saved decision streams (`--save-calls`, `--calls`). */
const DECISION_STREAMS_FORMAT = 'stephrl-decision-streams';
const ReplayCallSchema = z.strictObject({
  role: z.enum(['high', 'low', 'progress', 'flat']),
  subtaskOrdinal: z.number().int().nonnegative(),
  stepIdx: z.number().int().nonnegative().nullable(),
  prompt: z.string().min(1),
  completion: z.string(),
});
const DecisionStreamsFile = z.object({
  format: z.literal(DECISION_STREAMS_FORMAT),
  version: z.literal(1),
  env: z.literal('scienceworld'),
  streams: z.array(z.array(ReplayCallSchema).min(1, 'a stream needs at least one decision')).min(1, 'at least one stream is needed'),
});

/** A decision-streams file that cannot be read or is not in the expected format; the message names the file and why. */
export class DecisionStreamsError extends StudioError {
  constructor(message: string) {
    super(message, ErrorCodes.InvalidParams);
    this.name = 'DecisionStreamsError';
  }
}

export function writeDecisionStreams(file: string, streams: ReplayCall[][]): void {
  const body = { format: DECISION_STREAMS_FORMAT, version: 1, env: 'scienceworld', streams };
  try {
    fs.writeFileSync(file, JSON.stringify(body) + '\n');
  } catch (error) {
    throw new DecisionStreamsError(`cannot write the decision streams to ${file}: ${(error as Error).message}`);
  }
}

/** Reads and validates a file written by writeDecisionStreams (`--save-calls`). */
export function readDecisionStreams(file: string): ReplayCall[][] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new DecisionStreamsError(
      `decision streams file ${file} ${code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? (error as Error).message})`}`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new DecisionStreamsError(`decision streams file ${file} is not valid JSON: ${(error as Error).message}`);
  }
  const parsed = DecisionStreamsFile.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.slice(0, 3).map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message));
    throw new DecisionStreamsError(
      `decision streams file ${file} is not one written by 'stephrl bench agent --save-calls' ` +
        `({format: '${DECISION_STREAMS_FORMAT}', version: 1, env: 'scienceworld', streams: [[{role, subtaskOrdinal, stepIdx, prompt, completion}, ...], ...]}): ` +
        issues.join('; '),
    );
  }
  return parsed.data.streams;
}

/** How a replayed call is decoded: greedy, with a token budget, stop strings and a draft as the bench part wants. */
type CallDecoding = (call: ReplayCall, index: number) => Pick<GenerateRequest, 'maxTokens' | 'stop' | 'draft'>;

/** Plays one stream of decisions in one session; returns each decision's generation. */
async function playStream(model: LanguageModel, stream: ReplayCall[], decoding: CallDecoding): Promise<Generation[]> {
  const session = await model.openSession(['high', 'low', 'progress']);
  try {
    const generations: Generation[] = [];
    for (const [index, call] of stream.entries()) {
      const role = call.role === 'flat' ? 'low' : call.role;
      generations.push(await session.generate({ role, prefix: '', state: call.prompt, temperature: 0, ...decoding(call, index) }));
    }
    return generations;
  } finally {
    await session.close();
  }
}

/** The agent's drafts for a stream: each progress call's previous progress in its subtask, as the agent passes it. */
function progressDrafts(stream: readonly ReplayCall[]): Array<string | undefined> {
  let previous: { subtask: number; text: string } | null = null;
  return stream.map((call) => {
    if (call.role !== 'progress') return undefined;
    const draft = previous?.subtask === call.subtaskOrdinal ? ` ${previous.text}` : undefined;
    previous = { subtask: call.subtaskOrdinal, text: call.completion };
    return draft;
  });
}

export interface AgentBenchResult {
  suite: 'agent';
  model: string;
  device: string;
  threads: number;
  tokens?: Record<EnvKind, Omit<TokenReport, 'perEpisode'>>;
  latency?: {
    decisions: number;
    medianMsWithPrefixReuse: number;
    medianMsWithoutPrefixReuse: number;
    meanCachedShareOfPrompt: number;
    speedup: number;
  };
  drafts?: {
    decisions: number;
    secondsPlain: number;
    secondsDrafted: number;
    /** Whole-stream time, plain over drafted. */
    speedup: number;
    /** Answers identical to plain decoding's (batched products round differently, so a near tie may differ). */
    identicalAnswers: number;
    /** Share of the progress answers' tokens taken from their drafts. */
    draftShareOfProgressTokens: number;
  };
  adapter?: {
    decisions: number;
    medianMsSeparate: number;
    medianMsMerged: number;
    secondsSeparate: number;
    secondsMerged: number;
    /** Whole-stream time, separate over merged. */
    speedup: number;
  };
  throughput?: {
    streams: number;
    decisionsPerStream: number;
    decisionsPerSecondSequential: number;
    /** In the layout the device gets by default (CPU: contexts; GPU: batched). */
    decisionsPerSecondParallel: number;
    decisionsPerSecondBatched: number;
    decisionsPerSecondContexts: number;
    /** The default layout's over one at a time. */
    speedup: number;
  };
  targets: { stephrlOverReactTokensPerEpisode: number; withinEpisodeP95OverMedian: number; prefixReuseSpeedup: number; parallelSpeedup: number };
  met: Partial<Record<'tokens' | 'flatness' | 'prefixReuse' | 'parallel', boolean>>;
}

/** The best (lowest) median decision time and whole-stream time of each variant over alternating rounds. */
interface BestTimes {
  medianMs: number;
  totalMs: number;
}

/** Plays the stream on every variant in turn, after a short warm-up of each, for `rounds` rounds: alternating keeps a
 * passing slowdown of the machine from landing on one variant only. */
async function alternatingBest<K extends string>(
  variants: Record<K, LanguageModel>,
  stream: ReplayCall[],
  decoding: CallDecoding,
  rounds: number,
  onRound: (round: number) => void,
  onPlayed: (variant: K, generations: Generation[]) => void = () => {},
): Promise<Record<K, BestTimes>> {
  const names = Object.keys(variants) as K[];
  const best = Object.fromEntries(names.map((n) => [n, { medianMs: Infinity, totalMs: Infinity }])) as Record<K, BestTimes>;
  for (const name of names) await playStream(variants[name], stream.slice(0, 3), decoding);
  for (let r = 0; r < rounds; r++) {
    onRound(r + 1);
    for (const name of names) {
      const generations = await playStream(variants[name], stream, decoding);
      onPlayed(name, generations);
      const times = generations.map((g) => g.latencyMs);
      best[name].medianMs = Math.min(best[name].medianMs, median(times));
      best[name].totalMs = Math.min(
        best[name].totalMs,
        times.reduce((a, b) => a + b, 0),
      );
    }
  }
  return best;
}

export async function benchAgent(options: AgentBenchOptions): Promise<AgentBenchResult> {
  const { log, parts } = options;
  const targets = { stephrlOverReactTokensPerEpisode: 1 / 3, withinEpisodeP95OverMedian: 2, prefixReuseSpeedup: 1.5, parallelSpeedup: 2 };
  const threads = options.threads ?? os.availableParallelism();
  const result: AgentBenchResult = { suite: 'agent', model: options.modelPath, device: 'cpu', threads, targets, met: {} };

  if (parts.has('tokens')) {
    const tokens = {} as NonNullable<AgentBenchResult['tokens']>;
    for (const env of ['scienceworld', 'alfworld'] as const) {
      log(`tokens: replaying ${env} expert episodes through every agent's prompts...`);
      const { perEpisode: _perEpisode, ...report } = await measureTokens({
        env,
        modelPath: options.modelPath,
        parallel: 2,
        ...(options.tokenEpisodes ? { limit: options.tokenEpisodes } : {}),
      });
      tokens[env] = report;
    }
    result.tokens = tokens;
    result.met.tokens = tokens.scienceworld.targets.stephrlOverReactPerEpisode.met;
    result.met.flatness = tokens.scienceworld.targets.withinEpisodeP95OverMedian.met;
  }
  if (parts.has('drafts')) result.drafts = await benchDrafts(options, threads);
  if (!parts.has('latency') && !parts.has('throughput') && !parts.has('adapter')) return result;

  let streams: ReplayCall[][];
  if (options.streams) {
    log(`latency and throughput: using ${options.streams.length} given STEP-HRL decision streams`);
    streams = options.streams.map((s) => s.slice(0, options.decisions));
  } else {
    log('latency and throughput: recording STEP-HRL decision streams from ScienceWorld expert episodes...');
    streams = await decisionStreams(4, options.decisions);
  }
  if (options.saveCallsFile) {
    writeDecisionStreams(options.saveCallsFile, streams);
    log(`decision streams written to ${options.saveCallsFile}`);
  }
  const load = (prefixReuse: boolean, sessions: number, parallelLayout?: ParallelLayout) =>
    loadEmbeddedModel({
      modelPath: options.modelPath,
      gpu: options.gpu,
      sessions,
      slotsPerSession: 3,
      prefixReuse,
      threads,
      ...(parallelLayout ? { parallelLayout } : {}),
    });
  // Answer lengths are the expert's own (in tokens of this model), so both variants generate the same amounts.
  const counter = await load(true, 1);
  result.device = counter.info.device;
  const lengths = new Map<ReplayCall, number>();
  for (const stream of streams) for (const c of stream) lengths.set(c, Math.max(1, Math.min(48, (await counter.countTokens(c.completion)) + 1)));
  await counter.close();
  const answerTokens: CallDecoding = (c) => ({ maxTokens: lengths.get(c)!, stop: [] });

  if (parts.has('latency')) {
    const withReuse = await load(true, 1);
    const withoutReuse = await load(false, 1);
    let cachedShare: number;
    const stream = streams[0]!;
    let best: Record<'reuse' | 'scratch', BestTimes>;
    try {
      best = await alternatingBest({ reuse: withReuse, scratch: withoutReuse }, stream, answerTokens, options.rounds, (r) =>
        log(`latency round ${r}/${options.rounds}`),
      );
      // The share of prompt tokens the cache served, for the record.
      const session = await withReuse.openSession(['high', 'low', 'progress']);
      let cached = 0;
      let prompt = 0;
      for (const call of stream) {
        const g = await session.generate({
          role: call.role === 'flat' ? 'low' : call.role,
          prefix: '',
          state: call.prompt,
          maxTokens: 1,
          temperature: 0,
          stop: [],
        });
        cached += g.cachedPromptTokens;
        prompt += g.promptTokens;
      }
      await session.close();
      cachedShare = prompt ? cached / prompt : 0;
    } finally {
      await withReuse.close();
      await withoutReuse.close();
    }
    const speedup = best.scratch.medianMs / best.reuse.medianMs;
    result.latency = {
      decisions: stream.length,
      medianMsWithPrefixReuse: round(best.reuse.medianMs),
      medianMsWithoutPrefixReuse: round(best.scratch.medianMs),
      meanCachedShareOfPrompt: round(cachedShare, 3),
      speedup: round(speedup),
    };
    result.met.prefixReuse = speedup >= targets.prefixReuseSpeedup;
  }

  if (parts.has('adapter')) {
    if (!options.adapterPath) throw new StudioError('the adapter part needs an adapter (--adapter)', ErrorCodes.InvalidParams);
    const stream = streams[0]!;
    const load = (adapterMode: AdapterMode) =>
      loadEmbeddedModel({ modelPath: options.modelPath, adapterPath: options.adapterPath!, adapterMode, gpu: options.gpu, threads });
    const separate = await load('separate');
    const merged = await load('merged');
    let best: Record<AdapterMode, BestTimes>;
    try {
      best = await alternatingBest({ separate, merged }, stream, answerTokens, options.rounds, (r) => log(`adapter round ${r}/${options.rounds}`));
    } finally {
      await separate.close();
      await merged.close();
    }
    result.adapter = {
      decisions: stream.length,
      medianMsSeparate: round(best.separate.medianMs),
      medianMsMerged: round(best.merged.medianMs),
      secondsSeparate: round(best.separate.totalMs / 1000),
      secondsMerged: round(best.merged.totalMs / 1000),
      speedup: round(best.separate.totalMs / best.merged.totalMs),
    };
  }

  if (parts.has('throughput')) {
    const decisions = streams.reduce((n, s) => n + s.length, 0);
    const bestRate = { sequential: 0, batched: 0, contexts: 0 };
    const one = await load(true, 1);
    const batched = await load(true, streams.length, 'batched');
    const contexts = await load(true, streams.length, 'contexts');
    const rate = async (play: () => Promise<unknown>) => {
      const started = performance.now();
      await play();
      return decisions / ((performance.now() - started) / 1000);
    };
    try {
      for (let r = 0; r < options.rounds; r++) {
        log(`throughput round ${r + 1}/${options.rounds}`);
        bestRate.sequential = Math.max(
          bestRate.sequential,
          await rate(async () => {
            for (const stream of streams) await playStream(one, stream, answerTokens);
          }),
        );
        for (const [layout, model] of [
          ['batched', batched],
          ['contexts', contexts],
        ] as const) {
          bestRate[layout] = Math.max(
            bestRate[layout],
            await rate(() => Promise.all(streams.map((stream) => playStream(model, stream, answerTokens)))),
          );
        }
      }
    } finally {
      await Promise.all([one.close(), batched.close(), contexts.close()]);
    }
    const parallel = bestRate[defaultParallelLayout(one.info.device)];
    const speedup = parallel / bestRate.sequential;
    result.throughput = {
      streams: streams.length,
      decisionsPerStream: streams[0]!.length,
      decisionsPerSecondSequential: round(bestRate.sequential),
      decisionsPerSecondParallel: round(parallel),
      decisionsPerSecondBatched: round(bestRate.batched),
      decisionsPerSecondContexts: round(bestRate.contexts),
      speedup: round(speedup),
    };
    result.met.parallel = speedup >= targets.parallelSpeedup;
  }
  return result;
}

/**
 * Drafted decoding against plain decoding on the decisions it is for: the STEP-HRL calls of the first ALFWorld
 * valid_train expert episode of each task type (training data: no evaluation game), decoded as the agent decodes them (greedy, its
 * token budgets, ending at a new line), the progress calls with their previous progress as the draft.
 */
async function benchDrafts(options: AgentBenchOptions, threads: number): Promise<NonNullable<AgentBenchResult['drafts']>> {
  options.log('drafts: recording STEP-HRL decision streams from ALFWorld valid_train expert episodes...');
  // The first episode of each task type, up to `decisions` calls of each, played one after another.
  const stream = (await decisionStreams(6, options.decisions, 'alfworld', 'valid_train')).flat();
  const drafts = progressDrafts(stream);
  const decoding: CallDecoding = (call, index) => ({
    maxTokens: DECISION_MAX_TOKENS[call.role],
    stop: ['\n'],
    ...(drafts[index] ? { draft: drafts[index] } : {}),
  });
  const load = (withDrafts: boolean) =>
    loadEmbeddedModel({
      modelPath: options.modelPath,
      ...(options.adapterPath ? { adapterPath: options.adapterPath, adapterMode: 'merged' as const } : {}),
      gpu: options.gpu,
      threads,
      drafts: withDrafts,
    });
  const plain = await load(false);
  const drafted = await load(true);
  const answers: Partial<Record<'plain' | 'drafted', Generation[]>> = {};
  let best: Record<'plain' | 'drafted', BestTimes>;
  try {
    best = await alternatingBest(
      { plain, drafted },
      stream,
      decoding,
      options.rounds,
      (r) => options.log(`drafts round ${r}/${options.rounds}`),
      (variant, generations) => (answers[variant] ??= generations),
    );
  } finally {
    await plain.close();
    await drafted.close();
  }
  const progress = answers.drafted!.filter((_, i) => stream[i]!.role === 'progress');
  const progressTokens = progress.reduce((n, g) => n + g.completionTokens, 0);
  return {
    decisions: stream.length,
    secondsPlain: round(best.plain.totalMs / 1000),
    secondsDrafted: round(best.drafted.totalMs / 1000),
    speedup: round(best.plain.totalMs / best.drafted.totalMs),
    identicalAnswers: answers.drafted!.filter((g, i) => g.text === answers.plain![i]!.text).length,
    draftShareOfProgressTokens: round(progressTokens ? progress.reduce((n, g) => n + (g.draftTokensAccepted ?? 0), 0) / progressTokens : 0, 3),
  };
}
