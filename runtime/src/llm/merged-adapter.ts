/**
 * Base model + LoRA adapter as one merged GGUF (`--adapter-mode merged`, the default): llama.cpp then runs one matrix
 * product per projection instead of three. The merge (runtime/python/stephrl_train/merge_gguf.py) writes the adapted
 * matrices in the base's float type, or as Q8_0 where the base is quantised. Copies are cached under
 * .stephrl/cache/merged/, keyed by the contents of both files, so a retrained adapter or another base model never
 * meets a stale copy. Each copy is as large as the model and every evaluated checkpoint makes one, so the cache keeps
 * the MERGED_CACHE_SIZE most recently used.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pythonSourceDir, resolvePython, stateDir } from '../util/paths';
import type { Logger } from '../util/log';
import { ModelError } from './types';

export const mergedModelsDir = path.join(stateDir, 'cache', 'merged');
export const MERGED_CACHE_SIZE = 6;

/** Digests by path, size and modification time: a process evaluating many checkpoints reads the model once. */
const digests = new Map<string, Promise<string>>();

function fileDigest(file: string): Promise<string> {
  const stat = fs.statSync(file);
  const key = `${path.resolve(file)}:${stat.size}:${stat.mtimeMs}`;
  let digest = digests.get(key);
  if (!digest) {
    digest = (async () => {
      const hash = createHash('sha256');
      for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer);
      return hash.digest('hex');
    })();
    digest.catch(() => digests.delete(key));
    digests.set(key, digest);
  }
  return digest;
}

/** The merged model's file name: both inputs' digests, the base model's name kept readable. */
export async function mergedModelName(modelPath: string, adapterPath: string): Promise<string> {
  const [model, adapter] = await Promise.all([fileDigest(modelPath), fileDigest(adapterPath)]);
  const key = createHash('sha256').update(`${model}:${adapter}:auto`).digest('hex').slice(0, 16);
  return `${path.basename(modelPath, '.gguf')}+${key}.gguf`;
}

/** The merged GGUF for this model and adapter, written the first time (seconds) and found in the cache after that. */
export async function mergedModelPath(
  modelPath: string,
  adapterPath: string,
  options: { dir?: string; python?: string; log?: Logger } = {},
): Promise<string> {
  const dir = options.dir ?? mergedModelsDir;
  const out = path.join(dir, await mergedModelName(modelPath, adapterPath));
  if (fs.existsSync(out)) {
    const now = new Date();
    fs.utimesSync(out, now, now); // used now: the last to be pruned
    return out;
  }
  fs.mkdirSync(dir, { recursive: true });
  pruneMergedModels(dir, MERGED_CACHE_SIZE - 1);
  options.log?.('info', `merging ${path.basename(adapterPath)} into ${path.basename(modelPath)} (once; cached as ${out})`);
  let python: string;
  try {
    python = resolvePython(options.python);
  } catch (error) {
    throw new ModelError(
      `merging the adapter needs the Python environment: ${(error as Error).message} (or apply it separately: --adapter-mode separate, setting stephrl.adapterMode)`,
    );
  }
  const args = ['-m', 'stephrl_train', 'merge', '--model', modelPath, '--adapter', adapterPath, '--out', out];
  await new Promise<void>((resolve, reject) => {
    execFile(
      python,
      args,
      { env: { ...process.env, PYTHONPATH: [pythonSourceDir, process.env.PYTHONPATH].filter(Boolean).join(':') }, maxBuffer: 16 << 20 },
      (error, _stdout, stderr) => {
        if (!error) return resolve();
        const said = stderr.trim().split('\n').filter(Boolean).at(-1) ?? error.message;
        reject(new ModelError(`could not merge the adapter ${adapterPath} into ${modelPath}: ${said.replace(/^error: /, '')}`));
      },
    );
  });
  if (!fs.existsSync(out)) throw new ModelError(`merging the adapter ${adapterPath} wrote no ${out}`);
  return out;
}

/** Deletes the least recently used merged models beyond `keep` (files another process is loading stay readable). */
export function pruneMergedModels(dir: string, keep: number): string[] {
  if (!fs.existsSync(dir)) return [];
  const models = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.gguf'))
    .map((f) => ({ file: path.join(dir, f), used: fs.statSync(path.join(dir, f)).mtimeMs }))
    .sort((a, b) => b.used - a.used);
  const removed = models.slice(Math.max(0, keep)).map((m) => m.file);
  for (const file of removed) fs.rmSync(file, { force: true });
  return removed;
}
