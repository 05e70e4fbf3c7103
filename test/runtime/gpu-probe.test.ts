/**
 * The GPU probe: llama.cpp's backend must survive a test decode in a child process before the runtime uses it (a
 * native abort there would end the runtime). Real child on this machine; crashes as a child that aborts.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, test } from 'node:test';
import { GpuUnusableError, probeGpu, usableGpu, type GpuProbeResult, type ProbedRequest } from '../../runtime/src/llm/gpu-probe';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stephrl-gpu-probe-'));
const model = path.join(dir, 'tiny.gguf');
const nodeScript = (source: string) => ({ file: process.execPath, args: ['-e', source] });

before(async () => {
  const { writeTinyLlamaGguf } = await import('../fixtures/tinygguf.mjs');
  writeTinyLlamaGguf(model);
});

test('a real probe decodes with what auto picks here, and its answer is kept for next time', async () => {
  const cacheFile = path.join(dir, 'real.json');
  const first = await probeGpu({ gpu: 'auto', exclude: [] }, { modelPath: model, cacheFile });
  assert.equal(first.ok, true, first.detail);
  assert.equal(first.cached, false);
  assert.ok(first.backend, 'the backend llama.cpp started');
  assert.match(first.detail, /^decoded on /);
  const again = await probeGpu({ gpu: 'auto', exclude: [] }, { modelPath: model, cacheFile, command: nodeScript('process.exit(3)') });
  assert.deepEqual({ ...again, cached: false }, first, 'the kept answer, without running the probe again');
  assert.equal(again.cached, true);
});

test('a backend that aborts the process is a crash, named with its backend; a JavaScript error is not, and is not kept', async () => {
  const cacheFile = path.join(dir, 'crash.json');
  const crash = await probeGpu(
    { gpu: 'cuda', exclude: [] },
    {
      modelPath: model,
      cacheFile,
      command: nodeScript(
        `console.log(JSON.stringify({ backend: 'cuda' })); console.error('ggml-cuda.cu:108: CUDA error: the provided PTX was compiled with an unsupported toolchain'); process.abort();`,
      ),
    },
  );
  assert.equal(crash.ok, false);
  assert.equal(crash.crashed, true);
  assert.equal(crash.backend, 'cuda');
  assert.match(crash.detail, /CUDA backend was killed by SIGABRT: .*unsupported toolchain/);
  assert.equal((await probeGpu({ gpu: 'cuda', exclude: [] }, { modelPath: model, cacheFile, command: nodeScript('process.exit(0)') })).cached, true);

  const thrown = await probeGpu(
    { gpu: 'vulkan', exclude: [] },
    { modelPath: model, cacheFile, command: nodeScript(`throw new Error('not a GGUF file')`) },
  );
  assert.equal(thrown.crashed, false);
  assert.match(thrown.detail, /exited with code 1/);
  assert.equal(
    (await probeGpu({ gpu: 'vulkan', exclude: [] }, { modelPath: model, cacheFile, command: nodeScript('process.exit(2)') })).cached,
    false,
  );
});

test('auto passes over a backend that crashes; a named one that crashes is a clear error; off skips the probe', async () => {
  const fake =
    (answers: Record<string, Partial<GpuProbeResult>>) =>
    async (request: ProbedRequest): Promise<GpuProbeResult> => ({
      backend: 'cpu',
      ok: true,
      crashed: false,
      detail: 'decoded on cpu',
      cached: false,
      ...answers[JSON.stringify(request)],
    });
  const cudaCrashes = {
    backend: 'cuda' as const,
    ok: false,
    crashed: true,
    detail: "a test decode with llama.cpp's CUDA backend was killed by SIGABRT",
  };
  const probe = fake({
    [JSON.stringify({ gpu: 'auto', exclude: [] })]: cudaCrashes,
    [JSON.stringify({ gpu: 'auto', exclude: ['cuda'] })]: { backend: 'vulkan', detail: 'decoded on NVIDIA H100' },
    [JSON.stringify({ gpu: 'cuda', exclude: [] })]: cudaCrashes,
  });
  const auto = await usableGpu('auto', model, probe);
  assert.deepEqual(auto.gpu, { type: 'auto', exclude: ['cuda'] });
  assert.match(auto.note!, /CUDA backend crashed its test decode .*; using VULKAN/);
  await assert.rejects(
    usableGpu('cuda', model, probe),
    (e: unknown) => e instanceof GpuUnusableError && /CUDA backend cannot run here: .*SIGABRT.*--gpu auto, vulkan or cpu/.test(e.message),
  );
  assert.deepEqual(await usableGpu('auto', model, fake({})), { gpu: 'auto', note: null });
  assert.deepEqual(await usableGpu(false, model, probe), { gpu: false, note: null });
  process.env.STEPHRL_GPU_PROBE = 'off';
  try {
    assert.deepEqual(await usableGpu('cuda', model, probe), { gpu: 'cuda', note: null });
  } finally {
    delete process.env.STEPHRL_GPU_PROBE;
  }
});
