/** The merged-model cache: made once per model and adapter contents, found again without Python, pruned by last use. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { mergedModelPath, pruneMergedModels } from '../../runtime/src/llm/merged-adapter';
import { resolvePython } from '../../runtime/src/util/paths';
import { root } from './helpers';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stephrl-merged-'));
const cache = path.join(dir, 'cache');
const model = path.join(dir, 'tiny.gguf');

/** A LoRA adapter GGUF for the tiny model's first query projection, random with this seed. */
function adapter(seed: number): string {
  const out = path.join(dir, `adapter-${seed}.gguf`);
  const script = `
import sys, numpy as np, gguf
model, out, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
q = next(t for t in gguf.GGUFReader(model).tensors if t.name == "blk.0.attn_q.weight")
rows, cols = gguf.quants.dequantize(q.data, q.tensor_type).shape
rng = np.random.default_rng(seed)
w = gguf.GGUFWriter(out, "llama")
w.add_string("general.type", "adapter"); w.add_string("adapter.type", "lora"); w.add_float32("adapter.lora.alpha", 8.0)
w.add_tensor("blk.0.attn_q.weight.lora_a", rng.standard_normal((4, cols)).astype(np.float32))
w.add_tensor("blk.0.attn_q.weight.lora_b", rng.standard_normal((rows, 4)).astype(np.float32))
w.write_header_to_file(); w.write_kv_data_to_file(); w.write_tensors_to_file(); w.close()
`;
  execFileSync(resolvePython(), ['-c', script, model, out, String(seed)], {
    env: { ...process.env, PYTHONPATH: path.join(root, 'runtime', 'python') },
  });
  return out;
}

test('a merged model is made once per model and adapter, found again without Python, and the least used are pruned', async () => {
  const { writeTinyLlamaGguf } = await import('../fixtures/tinygguf.mjs');
  writeTinyLlamaGguf(model, { nCtx: 512 });
  const [first, second] = [adapter(1), adapter(2)];
  const merged = await mergedModelPath(model, first, { dir: cache });
  assert.ok(fs.existsSync(merged));
  assert.match(path.basename(merged), /^tiny\+[0-9a-f]{16}\.gguf$/);
  assert.deepEqual(
    fs.readdirSync(cache).filter((f) => f.endsWith('.part')),
    [],
    'nothing half-written is left',
  );
  // Found by the contents' digests: no Python is started the second time.
  assert.equal(await mergedModelPath(model, first, { dir: cache, python: '/nonexistent/python' }), merged);
  const other = await mergedModelPath(model, second, { dir: cache });
  assert.notEqual(other, merged, 'another adapter, another merged model');
  // A new adapter with no way to merge it: the error says what failed and what to do instead.
  await assert.rejects(
    mergedModelPath(model, adapter(3), { dir: cache, python: '/nonexistent/python' }),
    /could not merge the adapter .*adapter-3\.gguf/,
  );
  // Using the first again makes the second the least recently used: pruning to one keeps the first.
  fs.utimesSync(other, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
  await mergedModelPath(model, first, { dir: cache });
  assert.deepEqual(pruneMergedModels(cache, 1), [other]);
  assert.deepEqual(fs.readdirSync(cache), [path.basename(merged)]);
});

test('an adapter for tensors the model lacks is refused by name', async () => {
  const { writeTinyLlamaGguf } = await import('../fixtures/tinygguf.mjs');
  const small = path.join(dir, 'other.gguf');
  writeTinyLlamaGguf(small, { nCtx: 512, nLayer: 1 });
  const stranger = path.join(dir, 'stranger.gguf');
  const script = `
import sys, numpy as np, gguf
w = gguf.GGUFWriter(sys.argv[1], "llama")
w.add_string("general.type", "adapter"); w.add_string("adapter.type", "lora")
w.add_tensor("blk.9.attn_q.weight.lora_a", np.zeros((4, 64), np.float32))
w.add_tensor("blk.9.attn_q.weight.lora_b", np.zeros((64, 4), np.float32))
w.write_header_to_file(); w.write_kv_data_to_file(); w.write_tensors_to_file(); w.close()
`;
  execFileSync(resolvePython(), ['-c', script, stranger]);
  await assert.rejects(
    mergedModelPath(small, stranger, { dir: cache }),
    /the adapter adapts tensors the model does not have: blk\.9\.attn_q\.weight/,
  );
});
