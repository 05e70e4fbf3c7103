/** Where the project's files are, whether running from source (tsx), from dist/, or from an installed extension. */
import * as fs from 'node:fs';
import * as path from 'node:path';

function findRoot(start: string): string {
  let dir = start;
  for (;;) {
    if (fs.existsSync(path.join(dir, 'runtime', 'python', 'stephrl_env'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`cannot find the STEP-HRL Studio root above ${start}`);
    dir = parent;
  }
}

export const projectRoot = findRoot(__dirname);
export const pythonSourceDir = path.join(projectRoot, 'runtime', 'python');
/** Machine-local state made by `npm run setup`: the Python venv, unpacked data, models. */
export const stateDir = process.env.STEPHRL_HOME ?? path.join(projectRoot, '.stephrl');
export const venvPython = path.join(stateDir, 'venv', 'bin', 'python');
export const defaultAlfworldData = path.join(stateDir, 'data', 'alfworld');

export function resolveAlfworldData(explicit?: string): string {
  return path.resolve(explicit ?? process.env.ALFWORLD_DATA ?? defaultAlfworldData);
}

export function resolvePython(explicit?: string): string {
  const chosen = explicit ?? process.env.STEPHRL_PYTHON;
  if (chosen) return chosen;
  if (fs.existsSync(venvPython)) return venvPython;
  throw new Error(`the Python environment is not set up (${venvPython} is missing): run \`npm run setup\` first`);
}

/** The default model installed by `npm run setup` (SmolLM2-135M-Instruct, Q4_1; see runtime/setup/setup.mjs). */
export const defaultModelPath = path.join(stateDir, 'models', 'SmolLM2-135M-Instruct.Q4_1.gguf');

/** The model to use: the explicit path, else $STEPHRL_MODEL, else the default model. */
export function resolveModelPath(explicit?: string): string {
  return path.resolve(explicit ?? process.env.STEPHRL_MODEL ?? defaultModelPath);
}
