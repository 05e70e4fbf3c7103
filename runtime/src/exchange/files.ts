/** Reading import files and writing exports in the exchange formats (protocol/vocabulary.ts). */
import { createHash, type Hash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { EnvKind } from '../protocol/environment';
import type { AgentKind, ExportFormat, ImportFormat } from '../protocol/vocabulary';
import type { EpisodeDetail } from '../protocol/dataset';
import type { DatasetStore } from '../store/dataset-store';
import type { EpisodeFilter } from '../store/episodes';
import { loadTransitionEpisodes } from '../store/transitions';
import { chatSampleLine, chatSampleProblem, chatSamples, needsAnnotation, type ChatFormat } from './chat-samples';
import { episodeToJsonl, parseJsonl } from './jsonl';
import { parseStepRlRawMany } from './steprl-raw';
import { episodeToStepRlTrajectory } from './steprl-trajectory';
import { episodeToEto, parseEto } from './eto';
import { lfsPointerProblem } from './lfs-pointer';
import { parseScienceWorldGold } from './scienceworld-gold';
import { ExportError, ImportError, type ImportProblem, type ImportedEpisode } from './types';

export interface ImportOptions {
  env?: EnvKind;
  task?: string;
  split?: string;
}

/** The largest file an import reads (whole, into memory): 1 GiB, far above ScienceWorld's full train split in JSONL. */
export const MAX_IMPORT_BYTES = 2 ** 30;

/** A regular file of bounded size in valid UTF-8 (a FIFO or a device would hang the runtime; bad bytes would be
 * silently replaced and stored). */
function readText(file: string, digest?: Hash): string {
  if (!fs.existsSync(file)) throw new ImportError([{ file, line: 0, message: 'no such file' }]);
  const stat = fs.statSync(file);
  if (!stat.isFile()) throw new ImportError([{ file, line: 0, message: 'not a regular file' }]);
  if (stat.size > MAX_IMPORT_BYTES)
    throw new ImportError([{ file, line: 0, message: `${stat.size} bytes is over the import limit of ${MAX_IMPORT_BYTES}: split the file` }]);
  const bytes = fs.readFileSync(file);
  digest?.update(`${bytes.length}:`).update(bytes);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new ImportError([{ file, line: lineOfFirstBadByte(bytes), message: 'the file is not valid UTF-8' }]);
  }
  const pointer = lfsPointerProblem(text);
  if (pointer) throw new ImportError([{ file, line: 1, message: pointer }]);
  return text;
}

/** The 1-based line holding the first byte sequence that is not UTF-8. */
function lineOfFirstBadByte(bytes: Buffer): number {
  let good = bytes.length;
  for (let lo = 0, hi = bytes.length; lo < hi;) {
    const mid = (lo + hi) >> 1;
    // A prefix decodes (in non-streaming mode) only if every sequence in it is complete and valid.
    let ok = true;
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, mid), { stream: true });
    } catch {
      ok = false;
    }
    if (ok) lo = mid + 1;
    else hi = mid;
    good = lo;
  }
  let line = 1;
  for (let i = 0; i < Math.min(good, bytes.length); i++) if (bytes[i] === 0x0a) line++;
  return line;
}

/** A folder given to steprl-raw stands for the *.json files under it (the reference work nests them as
 * task3/variation17.json), in path order. */
function expandFiles(files: string[]): string[] {
  return files.flatMap((f) =>
    fs.existsSync(f) && fs.statSync(f).isDirectory()
      ? (fs.readdirSync(f, { recursive: true, encoding: 'utf8' }) as string[])
          .filter((n) => n.endsWith('.json'))
          .sort()
          .map((n) => path.join(f, n))
      : [f],
  );
}

/** Parses every file; any problem in any file fails the whole import with every problem listed. */
export function readImport(format: ImportFormat, files: string[], options: ImportOptions): ImportedEpisode[] {
  return readImportWithDigest(format, files, options).episodes;
}

/**
 * The episodes and a digest of what produced them (the format, the options and every file's bytes, not its name or
 * place): an import that is run again after a crash, or twice at once, is recognised by it.
 */
export function readImportWithDigest(format: ImportFormat, files: string[], options: ImportOptions): { episodes: ImportedEpisode[]; digest: string } {
  const digest = createHash('sha256').update(
    JSON.stringify({ format, env: options.env ?? null, task: options.task ?? null, split: options.split ?? null }),
  );
  const episodes = parseImport(format, files, options, digest);
  return { episodes, digest: digest.digest('hex') };
}

function parseImport(format: ImportFormat, files: string[], options: ImportOptions, digest: Hash): ImportedEpisode[] {
  if (format === 'steprl-raw') {
    const inputs = expandFiles(files).map((file) => ({ file, text: readText(file, digest) }));
    return parseStepRlRawMany(inputs, {
      ...(options.env ? { env: options.env } : {}),
      ...(options.task ? { task: options.task } : {}),
      split: options.split ?? null,
    });
  }
  const episodes: ImportedEpisode[] = [];
  const problems: ImportProblem[] = [];
  for (const file of files) {
    try {
      const text = readText(file, digest);
      const env = options.env ? { env: options.env } : {};
      if (format === 'scienceworld-gold')
        episodes.push(...parseScienceWorldGold(text, { file, ...env, ...(options.split ? { split: options.split } : {}) }));
      else episodes.push(...(format === 'jsonl' ? parseJsonl(text, file) : parseEto(text, { file, ...env })));
    } catch (error) {
      if (error instanceof ImportError) problems.push(...error.problems);
      else throw error;
    }
  }
  if (problems.length) throw new ImportError(problems);
  return episodes;
}

function fileStem(e: EpisodeDetail): string {
  const item = e.env === 'scienceworld' ? `${e.task}_${e.variation}` : `${e.task}_${path.basename(e.game ?? String(e.id))}`;
  return `${String(e.id).padStart(6, '0')}_${e.env}_${item}`.replace(/[^A-Za-z0-9_.-]/g, '_');
}

function exportFailed(out: string, error: Error): ExportError {
  return new ExportError(out, error.message);
}

/** Opens the export target, failing with the file's name (a folder, a missing folder, a read-only place) before any work. */
function openForWriting(out: string): Promise<fs.WriteStream> {
  return new Promise((resolve, reject) => {
    const stream = fs.createWriteStream(out);
    stream.once('open', () => resolve(stream));
    stream.once('error', (e) => reject(exportFailed(out, e)));
  });
}

/** The reference layout cuts every trajectory into subtasks: name the episodes without any before writing a file. */
async function refuseUnannotated(store: DatasetStore, ids: number[], out: string): Promise<void> {
  const bare: number[] = [];
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500);
    const rows = await store.db.all<{ id: number }>(
      `SELECT id FROM episodes WHERE id IN (${chunk.map(() => '?').join(',')}) AND NOT EXISTS (SELECT 1 FROM subtasks WHERE subtasks.episode_id = episodes.id) ORDER BY id`,
      chunk,
    );
    bare.push(...rows.map((r) => r.id));
  }
  if (bare.length) {
    throw new ExportError(
      out,
      `steprl-raw files cut every trajectory into subtasks, and ${bare.length} of these episodes have none (${bare.slice(0, 10).join(', ')}${bare.length > 10 ? ', ...' : ''}): annotate them first (\`stephrl annotate\`) or leave them out (--source, --ids)`,
    );
  }
}

/** Writes the selected episodes; returns how many. Episodes are read one at a time to keep memory flat. */
export async function exportEpisodes(
  store: DatasetStore,
  filter: EpisodeFilter,
  format: ExportFormat,
  out: string,
  options: { agent?: AgentKind } = {},
): Promise<number> {
  if (format === 'sharegpt' || format === 'openai-chat') return exportChatSamples(store, filter, format, out, options.agent ?? 'stephrl');
  const summaries = await store.episodes.list(filter);
  if (format === 'steprl-raw') {
    if (out === '-') throw new ImportError([{ file: out, line: 0, message: 'steprl-raw writes one file per trajectory: give a folder to --out' }]);
    await refuseUnannotated(
      store,
      summaries.map((s) => s.id),
      out,
    );
    try {
      fs.mkdirSync(out, { recursive: true });
      for (const s of summaries) {
        const episode = await store.episodes.get(s.id);
        fs.writeFileSync(path.join(out, `${fileStem(episode)}.json`), JSON.stringify(episodeToStepRlTrajectory(episode), null, 1) + '\n');
      }
    } catch (error) {
      throw exportFailed(out, error as Error);
    }
    return summaries.length;
  }
  const output = await openOutput(out);
  if (format === 'eto') await output.write('[\n');
  for (const [i, s] of summaries.entries()) {
    const episode = await store.episodes.get(s.id);
    if (format === 'jsonl') await output.write(episodeToJsonl(episode) + '\n');
    else await output.write(`${i ? ',\n' : ''}${JSON.stringify(episodeToEto(episode))}`);
  }
  if (format === 'eto') await output.write('\n]\n');
  await output.close();
  return summaries.length;
}

/**
 * Chat samples for other trainers (chat-samples.ts), one JSON line each, from the complete episodes of the filter.
 * Every episode must give samples: one that cannot (not annotated, for the hierarchical agents) is named before a
 * file is written, as for steprl-raw. Returns the number of episodes.
 */
async function exportChatSamples(store: DatasetStore, filter: EpisodeFilter, format: ChatFormat, out: string, agent: AgentKind): Promise<number> {
  const episodes = await loadTransitionEpisodes(store.db, filter);
  const refused = episodes.flatMap((e) => {
    const problem = chatSampleProblem(e, agent);
    return problem ? [`episode ${e.id}: ${problem}`] : [];
  });
  if (refused.length) {
    const hint = needsAnnotation(agent) ? ': annotate them first (`stephrl annotate`) or leave them out (--source, --ids)' : '';
    throw new ExportError(
      out,
      `${refused.length} of these episodes give no ${agent} samples (${refused.slice(0, 5).join('; ')}${refused.length > 5 ? '; ...' : ''})${hint}`,
    );
  }
  const output = await openOutput(out);
  for (const e of episodes) for (const sample of chatSamples(e, agent)) await output.write(chatSampleLine(sample, format) + '\n');
  await output.close();
  return episodes.length;
}

/** A file (or standard output for '-') whose failed writes (disk full, a closed pipe) reject instead of taking the process down. */
async function openOutput(out: string): Promise<{ write: (text: string) => Promise<void>; close: () => Promise<void> }> {
  const stream = out === '-' ? process.stdout : await openForWriting(out);
  let failure: Error | null = null;
  stream.on('error', (e: Error) => (failure ??= e));
  return {
    write: (text) =>
      new Promise<void>((resolve, reject) => {
        if (failure) return reject(exportFailed(out, failure));
        stream.write(text, (e) => (e ? reject(exportFailed(out, e)) : resolve()));
      }),
    close: () => (stream === process.stdout ? Promise.resolve() : new Promise<void>((resolve) => (stream as fs.WriteStream).end(resolve))),
  };
}
