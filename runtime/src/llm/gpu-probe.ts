/**
 * Whether llama.cpp's GPU backend really runs here, tried in a child process before the runtime uses it.
 *
 * Why: a prebuilt backend can load and still abort the whole process at the first decode. Seen with
 * node-llama-cpp 3.21.1's CUDA library on an H100 with a 580-series driver ("the provided PTX was compiled with an
 * unsupported toolchain": it ships PTX, not machine code, for sm_80/sm_90). An abort cannot be caught; in a child it
 * only ends the child. The answer is kept per machine, backend, node-llama-cpp version and driver in the state
 * folder, so the probe runs once (a model load and a two-token decode: about a second).
 */
import { spawn } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { projectRoot, stateDir } from '../util/paths';
import { ErrorCodes, StudioError } from '../protocol/errors';

/** What the runtime asks llama.cpp for: a backend, or 'auto' without the backends that failed before. */
export type ProbedRequest = { gpu: 'auto'; exclude: Array<'cuda' | 'vulkan'> } | { gpu: 'cuda' | 'vulkan'; exclude: [] };

export interface GpuProbeResult {
  /** The backend llama.cpp started for the request (null: it did not get that far). */
  backend: 'cuda' | 'vulkan' | 'metal' | 'cpu' | null;
  ok: boolean;
  /** The child died by a signal (an abort in native code), not by a JavaScript error or the probe's timeout. */
  crashed: boolean;
  /** What the probe saw: the device that decoded, or how the child ended and llama.cpp's last words. */
  detail: string;
  /** The result came from the cache file. */
  cached: boolean;
}

export interface GpuProbeOptions {
  /** A GGUF model to decode with (any works; the runtime passes the one it is about to load). */
  modelPath: string;
  /** Where answers are kept (default: the state folder's gpu-probe.json). */
  cacheFile?: string;
  timeoutMs?: number;
  /** Tests: the program and arguments the probe runs instead of node with the probe script. */
  command?: { file: string; args: string[] };
}

/**
 * The probe, a module script run from a temporary file (not `node -e`: node-llama-cpp tests its binaries in a child
 * started with the parent's node flags, which `--input-type` breaks); node-llama-cpp is imported by its file URL.
 */
const PROBE_SCRIPT = `
const [request, modelPath, nodeLlamaCpp] = process.argv.slice(2);
const { gpu, exclude } = JSON.parse(request);
const { getLlama, LlamaLogLevel } = await import(nodeLlamaCpp);
const llama = await getLlama({ gpu: gpu === 'auto' ? { type: 'auto', exclude } : gpu, build: 'never', logLevel: LlamaLogLevel.error,
  logger: (level, message) => process.stderr.write(message + '\\n') });
// Said before decoding: if the decode aborts the process, the parent still knows which backend did it.
process.stdout.write(JSON.stringify({ backend: llama.gpu || 'cpu' }) + '\\n');
const model = await llama.loadModel({ modelPath });
const context = await model.createContext({ contextSize: 256 });
const sequence = context.getSequence();
let n = 0;
for await (const token of sequence.evaluate(model.tokenize('The quick brown fox'), { temperature: 0 })) { if (++n >= 2) break; }
const names = await llama.getGpuDeviceNames().catch(() => []);
console.log(JSON.stringify({ ok: true, device: names.join(', ') || (llama.gpu || 'cpu') }));
await context.dispose(); await model.dispose(); await llama.dispose();
`;

/** What makes a cached answer stale: another node-llama-cpp, another driver, another machine. */
function cacheKey(request: ProbedRequest): string {
  let nlc = 'unknown';
  try {
    nlc = JSON.parse(fs.readFileSync(path.join(projectRoot, 'node_modules', 'node-llama-cpp', 'package.json'), 'utf8')).version;
  } catch {
    // not installed: the probe will say so
  }
  let driver = '';
  try {
    driver = fs.readFileSync('/proc/driver/nvidia/version', 'utf8').split('\n')[0] ?? '';
  } catch {
    // no NVIDIA driver, or not Linux
  }
  return [JSON.stringify(request), nlc, os.hostname(), driver].join('|');
}

function readCache(file: string): Record<string, Omit<GpuProbeResult, 'cached'>> {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return {};
  }
}

export async function probeGpu(request: ProbedRequest, options: GpuProbeOptions): Promise<GpuProbeResult> {
  const cacheFile = options.cacheFile ?? path.join(stateDir, 'gpu-probe.json');
  const key = cacheKey(request);
  const known = readCache(cacheFile)[key];
  if (known) return { ...known, cached: true };

  const script = path.join(os.tmpdir(), `stephrl-gpu-probe-${process.pid}-${Date.now()}.mjs`);
  const nodeLlamaCpp = pathToFileURL(path.join(projectRoot, 'node_modules', 'node-llama-cpp', 'dist', 'index.js')).href;
  if (!options.command) fs.writeFileSync(script, PROBE_SCRIPT);
  const { file, args } = options.command ?? { file: process.execPath, args: [script, JSON.stringify(request), options.modelPath, nodeLlamaCpp] };
  const result = await new Promise<Omit<GpuProbeResult, 'cached'>>((resolve) => {
    const child = spawn(file, args, { cwd: projectRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs ?? 120_000);
    child.once('error', (error) => {
      clearTimeout(timer);
      fs.rmSync(script, { force: true });
      resolve({ backend: null, ok: false, crashed: false, detail: `the probe could not start: ${error.message}` });
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      fs.rmSync(script, { force: true });
      const lines = stdout.split('\n').filter((l) => l.startsWith('{'));
      const started = lines.map((l) => JSON.parse(l) as { backend?: GpuProbeResult['backend'] }).find((l) => l.backend)?.backend ?? null;
      const answer = lines.find((l) => l.startsWith('{"ok":true'));
      if (code === 0 && answer) {
        const { device } = JSON.parse(answer) as { device: string };
        return resolve({ backend: started, ok: true, crashed: false, detail: `decoded on ${device}` });
      }
      // llama.cpp's own error line says why (a stack trace after it does not); else the last lines.
      const said = stderr
        .trim()
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean);
      const errors = said.filter((l) => /error|fail|abort|unsupported/i.test(l) && !/^at /.test(l));
      const last = (errors.length ? errors.slice(0, 2) : said.slice(-3)).join(' | ');
      const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      const what = started ? `a test decode with llama.cpp's ${started.toUpperCase()} backend` : `starting llama.cpp (${request.gpu})`;
      resolve({
        backend: started,
        ok: false,
        crashed: signal !== null && !timedOut,
        detail: `${what} ${how}${timedOut ? ' (timed out)' : ''}${last ? `: ${last}` : ''}`,
      });
    });
  });
  // Only verdicts on the backend are kept: it decoded, or it crashed. A JavaScript error (a bad model file, say) or a
  // timeout (a busy machine) says nothing about it, and the runtime's own load reports such errors properly.
  if (result.ok || result.crashed) {
    try {
      fs.mkdirSync(path.dirname(cacheFile), { recursive: true });
      fs.writeFileSync(cacheFile, JSON.stringify({ ...readCache(cacheFile), [key]: result }, null, 1));
    } catch {
      // an unwritable state folder only costs another probe next time
    }
  }
  return { ...result, cached: false };
}

export type GpuChoice = 'auto' | 'cuda' | 'vulkan' | 'metal' | false | { type: 'auto'; exclude: Array<'cuda' | 'vulkan'> };

export class GpuUnusableError extends StudioError {
  constructor(message: string) {
    super(message, ErrorCodes.ModelError);
    this.name = 'GpuUnusableError';
  }
}

/**
 * The GPU setting to give llama.cpp: the one asked for when its backend decodes; for 'auto', without each backend
 * that crashed its test decode (with a note saying so); for a named backend that crashes, a clear error.
 * STEPHRL_GPU_PROBE=off skips the probe.
 */
export async function usableGpu(
  gpu: 'auto' | 'cuda' | 'vulkan' | 'metal' | false,
  modelPath: string,
  probe: (request: ProbedRequest, options: GpuProbeOptions) => Promise<GpuProbeResult> = probeGpu,
): Promise<{ gpu: GpuChoice; note: string | null }> {
  if (gpu === false || gpu === 'metal' || process.env.STEPHRL_GPU_PROBE === 'off') return { gpu, note: null };
  if (gpu !== 'auto') {
    const r = await probe({ gpu, exclude: [] }, { modelPath });
    if (r.crashed) {
      throw new GpuUnusableError(
        `llama.cpp's ${gpu.toUpperCase()} backend cannot run here: ${r.detail}. Use --gpu auto, vulkan or cpu (setting stephrl.gpu), ` +
          `build node-llama-cpp's binaries for this GPU (npx --no node-llama-cpp source download --gpu ${gpu}), or serve the model elsewhere (--endpoint)`,
      );
    }
    return { gpu, note: null };
  }
  const exclude: Array<'cuda' | 'vulkan'> = [];
  const notes: string[] = [];
  for (;;) {
    const r = await probe({ gpu: 'auto', exclude: [...exclude] }, { modelPath });
    const choice: GpuChoice = exclude.length ? { type: 'auto', exclude: [...exclude] } : 'auto';
    if (!r.crashed || (r.backend !== 'cuda' && r.backend !== 'vulkan') || exclude.includes(r.backend)) {
      return {
        gpu: choice,
        note: notes.length ? `${notes.join('; ')}; using ${r.ok ? (r.backend ?? 'cpu').toUpperCase() : 'the next backend'}` : null,
      };
    }
    notes.push(`llama.cpp's ${r.backend.toUpperCase()} backend crashed its test decode (${r.detail})`);
    exclude.push(r.backend);
  }
}
