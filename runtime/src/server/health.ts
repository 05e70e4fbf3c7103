/** Checks the tools the runtime needs, with the fix for each one that is missing. Used by `doctor` and the extension. */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import type { Health, ToolCheck } from '../protocol/rpc';
import { resolveAlfworldData, resolveModelPath, resolvePython } from '../util/paths';
import { version } from '../util/version';

const run = promisify(execFile);
const SETUP_FIX = 'run `npm run setup` in the STEP-HRL Studio folder (or the "STEP-HRL: Set Up Runtime" command)';

async function checkPython(explicit?: string): Promise<ToolCheck> {
  let python: string;
  try {
    python = resolvePython(explicit);
  } catch (error) {
    return { ok: false, detail: (error as Error).message, fix: SETUP_FIX };
  }
  try {
    const { stdout } = await run(python, ['-c', 'import sys, scienceworld, textworld; print(sys.version.split()[0])'], {
      timeout: 60_000,
    });
    return { ok: true, detail: `${python} (Python ${stdout.trim()}, scienceworld and textworld importable)` };
  } catch (error) {
    return {
      ok: false,
      detail: `${python} cannot import the environment packages: ${(error as Error).message.split('\n').slice(-2).join(' ')}`,
      fix: SETUP_FIX,
    };
  }
}

/** The trainer's stack (PyTorch, transformers, peft, accelerate, gguf): needed to train, not to run agents. */
async function checkTrainer(explicit?: string): Promise<ToolCheck> {
  const fix = `${SETUP_FIX} (without STEPHRL_SKIP_TRAINER=1); it is needed only for training`;
  let python: string;
  try {
    python = resolvePython(explicit);
  } catch (error) {
    return { ok: false, detail: (error as Error).message, fix };
  }
  try {
    const script =
      'import torch, transformers, peft, accelerate, gguf; print(torch.__version__, transformers.__version__, peft.__version__, torch.cuda.is_available())';
    const { stdout } = await run(python, ['-c', script], { timeout: 120_000 });
    const [torch, transformers, peft, cuda] = stdout.trim().split(' ');
    return { ok: true, detail: `PyTorch ${torch} (${cuda === 'True' ? 'CUDA available' : 'CPU only'}), transformers ${transformers}, peft ${peft}` };
  } catch (error) {
    return {
      ok: false,
      detail: `the trainer's packages are not importable: ${(error as Error).message.split('\n').filter(Boolean).slice(-1).join(' ')}`,
      fix,
    };
  }
}

async function checkDevice(): Promise<ToolCheck> {
  try {
    const { detectDevice } = await import('../llm/embedded');
    const device = await detectDevice(resolveModelPath());
    return { ok: true, detail: device.note ? `${device.name} (${device.note})` : device.name };
  } catch (error) {
    return { ok: false, detail: `llama.cpp could not start: ${(error as Error).message}`, fix: SETUP_FIX };
  }
}

async function checkJava(): Promise<ToolCheck> {
  try {
    const { stderr, stdout } = await run('java', ['-version'], { timeout: 30_000 });
    return { ok: true, detail: (stderr || stdout).split('\n')[0]!.trim() };
  } catch {
    return {
      ok: false,
      detail: 'java was not found on PATH (ScienceWorld runs on the JVM)',
      fix: 'install OpenJDK 17: `sudo apt-get install default-jre-headless` (Debian/Ubuntu), or `npm run setup` as root',
    };
  }
}

function checkAlfworld(data?: string): ToolCheck {
  const dir = resolveAlfworldData(data);
  const found = fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => n.startsWith('json_2.1')) : [];
  if (found.length === 0) {
    return { ok: false, detail: `no json_2.1.x folder in ${dir}`, fix: `${SETUP_FIX}, or set ALFWORLD_DATA to an ALFWorld data folder` };
  }
  const splits = found.flatMap((j) => fs.readdirSync(path.join(dir, j)).map((s) => `${j}/${s}`));
  return { ok: true, detail: `${dir}: ${splits.join(', ')}` };
}

/** The model agents use by default: present and a GGUF file (loading it is left to the first run). */
function checkModel(): ToolCheck {
  const file = resolveModelPath();
  const fix = `${SETUP_FIX} (it installs the default model), or set STEPHRL_MODEL to a GGUF file`;
  try {
    const header = Buffer.alloc(4);
    const fd = fs.openSync(file, 'r');
    try {
      fs.readSync(fd, header, 0, 4, 0);
    } finally {
      fs.closeSync(fd);
    }
    if (header.toString('latin1') !== 'GGUF') return { ok: false, detail: `${file} is not a GGUF file`, fix };
    return { ok: true, detail: `${file} (${(fs.statSync(file).size / 2 ** 20).toFixed(0)} MiB)` };
  } catch {
    return { ok: false, detail: `the model ${file} is missing`, fix };
  }
}

export async function checkHealth(options: { python?: string; alfworldData?: string } = {}): Promise<Health> {
  const [python, java, trainer, device] = await Promise.all([checkPython(options.python), checkJava(), checkTrainer(options.python), checkDevice()]);
  return {
    runtimeVersion: version,
    node: { ok: true, detail: `${process.execPath} (Node ${process.versions.node})` },
    python,
    java,
    alfworldData: checkAlfworld(options.alfworldData),
    model: checkModel(),
    trainer,
    device,
  };
}
