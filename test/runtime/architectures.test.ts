/**
 * Every backbone family (Llama, Mistral, Gemma 1/2/3, Qwen2/3, Phi-3): a tiny random model of each, converted to GGUF by
 * llama.cpp's own converter (of the llama.cpp node-llama-cpp runs); a LoRA adapter with large random weights on every
 * linear layer of the decoder blocks, exported by the trainer. llama.cpp with the exported adapter must pick PyTorch's
 * greedy next tokens (with the adapter) on the same token sequences, where the adapter changes most of the base model's
 * choices. Also: the trainer trains on each family's GGUF that transformers can read, and an architecture that cannot
 * be exported or read is refused by name, before training.
 *
 * The PyTorch side is test/fixtures/tiny_families.py (build: the models; check: adapters, exports, greedy tokens,
 * training, errors), run once for all tests below.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { greedyNextTokens } from '../../runtime/src/llm/embedded';
import { mergedModelPath } from '../../runtime/src/llm/merged-adapter';
import { resolvePython, stateDir } from '../../runtime/src/util/paths';
import { root, runCli } from './helpers';

// family -> the GGUF architecture llama.cpp runs it as, and whether its q/k rows are permuted there.
const FAMILIES: Record<string, { architecture: string; qkPermuted: boolean }> = {
  llama: { architecture: 'llama', qkPermuted: true },
  mistral: { architecture: 'llama', qkPermuted: true },
  gemma: { architecture: 'gemma', qkPermuted: false },
  gemma2: { architecture: 'gemma2', qkPermuted: false },
  gemma3: { architecture: 'gemma3', qkPermuted: false },
  qwen2: { architecture: 'qwen2', qkPermuted: false },
  qwen3: { architecture: 'qwen3', qkPermuted: false },
  phi3: { architecture: 'phi3', qkPermuted: false },
};

interface TrainerEvent {
  event: string;
  message?: string;
  path?: string;
  architecture?: string;
  tensors?: number;
}
interface FamilyCheck {
  gguf: string;
  adapterGguf: string;
  architecture: string;
  qkPermuted: boolean;
  tensors: number;
  sameExportFromBothBases: boolean;
  sequences: number[][];
  pytorch: number[][];
  pytorchBase: number[][];
  ggufReadable: boolean;
  pytorchFromGguf?: number[][];
  training?: { code: number; events: TrainerEvent[] };
}
interface TrainAttempt {
  code: number;
  events: string[];
  message: string;
}
interface Checks {
  families: Record<string, FamilyCheck>;
  errors: {
    exportHf: string | null;
    exportGguf: string | null;
    checkGguf: string | null;
    trainUnsupported: TrainAttempt;
    trainUnreadableGguf: TrainAttempt;
  };
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stephrl-architectures-'));
const fixture = path.join(root, 'test', 'fixtures', 'tiny_families.py');
// One thread: these models are tiny, and more threads only wait on each other on a 2-core machine (~10x slower).
const pythonEnv = { ...process.env, PYTHONPATH: path.join(root, 'runtime', 'python'), OMP_NUM_THREADS: '1', TQDM_DISABLE: '1' };
let checks: Checks;

/** llama.cpp's source at the version node-llama-cpp runs, from the git bundle that package ships: cloned once per machine. */
function llamaCppSource(): string {
  const bundle = path.join(root, 'node_modules', 'node-llama-cpp', 'llama', 'gitRelease.bundle');
  const commit = execFileSync('git', ['bundle', 'list-heads', bundle], { encoding: 'utf8' }).split(/\s/)[0]!;
  const source = path.join(stateDir, 'cache', `llama.cpp-${commit.slice(0, 12)}`);
  if (!fs.existsSync(path.join(source, 'convert_hf_to_gguf.py'))) {
    const partial = `${source}.partial`;
    fs.rmSync(partial, { recursive: true, force: true });
    execFileSync('git', ['-c', 'advice.detachedHead=false', 'clone', '--quiet', bundle, partial], { stdio: ['ignore', 'ignore', 'pipe'] });
    fs.renameSync(partial, source);
  }
  return source;
}

async function python(...args: string[]): Promise<void> {
  await promisify(execFile)(resolvePython(), [fixture, ...args], { env: pythonEnv, maxBuffer: 64 << 20, timeout: 600_000 }).catch((error) => {
    throw new Error(`tiny_families.py ${args[0]} failed:\n${String(error.stderr).split('\n').slice(-30).join('\n')}`);
  });
}

async function transitionsDb(): Promise<string> {
  const db = path.join(dir, 'train.db');
  for (const args of [['demos', '--env', 'alfworld', '--split', 'valid_train', '--limit', '1'], ['annotate'], ['dataset', 'transitions']]) {
    const r = await runCli([...args, '--db', db, '--json'], { timeoutMs: 300_000 });
    assert.equal(r.code, 0, `stephrl ${args.join(' ')}\n${r.stderr}`);
  }
  return db;
}

before(async () => {
  const [db] = await Promise.all([transitionsDb(), python('build', dir, llamaCppSource())]);
  await python('check', dir, db);
  checks = JSON.parse(fs.readFileSync(path.join(dir, 'checks.json'), 'utf8')) as Checks;
});

after(() => fs.rmSync(dir, { recursive: true, force: true }));

function agreeing(a: number[][], b: number[][]): number {
  return a.reduce((sum, row, i) => sum + row.filter((token, j) => token === b[i]![j]).length, 0);
}

for (const [family, expected] of Object.entries(FAMILIES)) {
  test(`${family}: llama.cpp with the exported adapter picks the greedy tokens PyTorch picks with the adapter`, async () => {
    const c = checks.families[family]!;
    assert.equal(c.architecture, expected.architecture);
    assert.equal(c.qkPermuted, expected.qkPermuted);
    assert.ok(c.sameExportFromBothBases, 'the base as a Hugging Face folder and as a GGUF gives the same adapter file');
    const positions = c.sequences.reduce((n, s) => n + s.length, 0);
    const withAdapter = await greedyNextTokens({ modelPath: c.gguf, adapterPath: c.adapterGguf, threads: 1 }, c.sequences);
    const withoutAdapter = await greedyNextTokens({ modelPath: c.gguf, threads: 1 }, c.sequences);
    const agreement = agreeing(withAdapter, c.pytorch);
    // The default adapter mode: the adapter merged into a Q8_0 copy of the model.
    const merged = await mergedModelPath(c.gguf, c.adapterGguf, { dir: path.join(dir, 'merged') });
    const mergedAgreement = agreeing(await greedyNextTokens({ modelPath: merged, threads: 1 }, c.sequences), c.pytorch);
    const baseAgreement = agreeing(withoutAdapter, c.pytorchBase);
    const changed = positions - agreeing(c.pytorch, c.pytorchBase);
    console.log(
      `${family} (${c.architecture}${c.qkPermuted ? ', q/k permuted' : ''}): llama.cpp + adapter agrees with PyTorch + adapter on ` +
        `${agreement}/${positions} (merged: ${mergedAgreement}); the base models agree on ${baseAgreement}/${positions}; the adapter changed ${changed}/${positions}`,
    );
    assert.ok(positions >= 40, `${positions} positions`);
    assert.ok(changed >= 0.3 * positions, `the adapter changed only ${changed}/${positions} greedy tokens: the check would mean little`);
    assert.ok(baseAgreement >= 0.95 * positions, `the converted base model itself disagrees: ${baseAgreement}/${positions}`);
    assert.ok(agreement >= 0.95 * positions, `llama.cpp + adapter agrees with PyTorch + adapter on only ${agreement}/${positions}`);
    assert.ok(mergedAgreement >= 0.95 * positions, `the merged model agrees with PyTorch + adapter on only ${mergedAgreement}/${positions}`);
  });
}

test('the trainer trains on the GGUF of every family transformers reads, and its exported adapter loads in llama.cpp', async () => {
  const trained: string[] = [];
  for (const [family, c] of Object.entries(checks.families)) {
    assert.equal(c.ggufReadable, family !== 'gemma', `${family}: transformers reads its GGUF`);
    if (!c.training) continue;
    assert.equal(c.training.code, 0, `${family}: ${JSON.stringify(c.training.events.at(-1))}`);
    assert.deepEqual(
      c.training.events.map((e) => e.event),
      ['start', 'metrics', 'metrics', 'done', 'exported'],
      family,
    );
    const exported = c.training.events.at(-1)!;
    assert.equal(exported.architecture, c.architecture, family);
    // The default target modules, q/k/v/o in Llama's names: Phi-3's fused qkv_proj and its o_proj, per block.
    assert.equal(exported.tensors, (family === 'phi3' ? 2 : 4) * 2 * 2, family);
    // What the trainer trains on (transformers' reading of the GGUF) is the model llama.cpp runs.
    const positions = c.sequences.reduce((n, s) => n + s.length, 0);
    assert.ok(agreeing(c.pytorchFromGguf!, c.pytorch) >= 0.95 * positions, `${family}: transformers' reading of the GGUF differs`);
    await greedyNextTokens({ modelPath: c.gguf, adapterPath: exported.path!, threads: 1 }, [c.sequences[0]!]);
    trained.push(family);
  }
  assert.deepEqual(trained, ['llama', 'mistral', 'gemma2', 'gemma3', 'qwen2', 'qwen3', 'phi3']);
});

test('an architecture that cannot be exported or read is refused by name, before any training', () => {
  const { errors } = checks;
  assert.match(errors.exportHf ?? '', /exporting adapters for the 'stablelm' architecture is not supported/);
  assert.match(errors.exportGguf ?? '', /exporting adapters for the 'mamba' architecture is not supported/);
  assert.match(errors.checkGguf ?? '', /'mamba'/);
  assert.equal(errors.trainUnsupported.code, 2);
  assert.deepEqual(errors.trainUnsupported.events, ['error'], 'refused before the run starts');
  assert.match(errors.trainUnsupported.message, /'stablelm' architecture is not supported/);
  assert.equal(errors.trainUnreadableGguf.code, 2);
  assert.deepEqual(errors.trainUnreadableGguf.events, ['error']);
  assert.match(errors.trainUnreadableGguf.message, /transformers cannot read 'gemma' models from a GGUF file/);
});
