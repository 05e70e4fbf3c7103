// Runs the project's Python (the venv made by setup) with the workers' source on PYTHONPATH: used by `npm run test:python`.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const stateDir = process.env.STEPHRL_HOME ?? path.join(root, '.stephrl');
const python = process.env.STEPHRL_PYTHON ?? path.join(stateDir, 'venv', 'bin', 'python');
if (!fs.existsSync(python)) {
  console.error(`${python} is missing: run \`npm run setup\` first`);
  process.exit(1);
}
const pythonPath = [path.join(root, 'runtime', 'python'), process.env.PYTHONPATH].filter(Boolean).join(':');
const result = spawnSync(python, process.argv.slice(2), { stdio: 'inherit', cwd: root, env: { ...process.env, PYTHONPATH: pythonPath } });
process.exit(result.status ?? 1);
