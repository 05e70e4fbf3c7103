// Set-up for the workbench end-to-end test (test/e2e/workbench.test.ts): what a fresh Debian machine needs to run the
// packed extension in a real VS Code workbench (code-server) driven by a real browser (Debian's chromium).
//
//   node test/e2e/workbench-setup.mjs
//
// - apt packages: chromium (the browser), ripgrep (stands in for @vscode/ripgrep's GitHub download), libkrb5-dev (for
//   code-server's kerberos module), make and g++ (code-server's native modules); skipped when present; as root only.
// - code-server (npm, Node 20 line) into the project-local prefix .stephrl/e2e/code-server, never globally. Installed
//   without scripts first, then Debian's rg is placed where @vscode/ripgrep looks for a cached download, then
//   code-server's postinstall (which installs and builds VS Code's own modules) runs.
// Idempotent: a stamp file records a finished install; when it matches, this takes well under a second.
// Works as root with no standard input and CI=true. Prints `[e2e-setup] ...` lines.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export const CODE_SERVER_VERSION = '4.100.3';
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const e2eHome = path.join(root, '.stephrl', 'e2e');
export const codeServerPrefix = path.join(e2eHome, 'code-server');
const codeServerPackage = path.join(codeServerPrefix, 'node_modules', 'code-server');
/** code-server's entry point: run it with the Node 20 that installed it. */
export const codeServerEntry = path.join(codeServerPackage, 'out', 'node', 'entry.js');
export const chromiumPath = '/usr/bin/chromium';
const stampFile = path.join(codeServerPrefix, '.stephrl-e2e-setup');

const log = (message) => console.log(`[e2e-setup] ${message}`);
class SetupError extends Error {}

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const nodeMajor = Number(process.versions.node.split('.')[0]);

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { stdio: ['ignore', 'inherit', 'inherit'], ...options });
  if (result.error) throw new SetupError(`${command} could not start: ${result.error.message}`);
  if (result.status !== 0) throw new SetupError(`\`${command} ${args.join(' ')}\` failed with code ${result.status}`);
}

const hasFile = (file) => fs.existsSync(file);
const dpkgInstalled = (pkg) =>
  spawnSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8' }).stdout?.includes('install ok installed') ?? false;
const onPath = (command) => spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;

/** Debian packages, each with how to tell it is already there. */
const APT_PACKAGES = [
  { name: 'chromium', present: () => hasFile(chromiumPath) },
  { name: 'ripgrep', present: () => onPath('rg') },
  { name: 'libkrb5-dev', present: () => dpkgInstalled('libkrb5-dev') || hasFile('/usr/include/krb5.h') },
  { name: 'make', present: () => onPath('make') },
  { name: 'g++', present: () => onPath('g++') },
];

function aptPackages() {
  const missing = APT_PACKAGES.filter((p) => !p.present()).map((p) => p.name);
  if (!missing.length) return log(`apt packages: present (${APT_PACKAGES.map((p) => p.name).join(', ')})`);
  if (!isRoot || !onPath('apt-get')) {
    throw new SetupError(
      `missing: ${missing.join(', ')}; install them (Debian/Ubuntu: \`sudo apt-get install -y ${missing.join(' ')}\`) and run this again`,
    );
  }
  log(`apt packages: installing ${missing.join(', ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  run('apt-get', ['update', '-qq'], { env });
  run('apt-get', ['install', '-y', '-qq', ...missing], { env });
  const still = APT_PACKAGES.filter((p) => missing.includes(p.name) && !p.present()).map((p) => p.name);
  if (still.length) throw new SetupError(`apt-get installed, but still missing: ${still.join(', ')}`);
}

/** The environment npm runs code-server's install in: root-safe, never prompting. */
function npmEnv() {
  return { ...process.env, npm_config_unsafe_perm: 'true', npm_config_yes: 'true', npm_config_fund: 'false', npm_config_audit: 'false', CI: 'true' };
}

/**
 * @vscode/ripgrep's postinstall downloads rg from a code host, which is not reachable; it first looks for
 * $TMPDIR/vscode-ripgrep-cache-<package version>/ripgrep-<release>-<target>.tar.gz. Put Debian's rg there, for every
 * @vscode/ripgrep that code-server's VS Code pins.
 */
function ripgrepCache() {
  const vscode = path.join(codeServerPackage, 'lib', 'vscode');
  const versions = new Set();
  for (const lock of [path.join(vscode, 'npm-shrinkwrap.json'), path.join(vscode, 'extensions', 'npm-shrinkwrap.json')]) {
    if (!fs.existsSync(lock)) continue;
    const { packages = {} } = JSON.parse(fs.readFileSync(lock, 'utf8'));
    for (const [where, info] of Object.entries(packages)) if (/(^|\/)node_modules\/@vscode\/ripgrep$/.test(where)) versions.add(info.version);
  }
  if (!versions.size) throw new SetupError(`no @vscode/ripgrep version found in ${vscode}/npm-shrinkwrap.json`);
  const rg = execFileSync('sh', ['-c', 'command -v rg'], { encoding: 'utf8' }).trim();
  const target = { x64: 'x86_64-unknown-linux-musl', arm64: 'aarch64-unknown-linux-musl' }[os.arch()];
  if (!target) throw new SetupError(`no ripgrep target known for ${os.arch()}`);
  for (const version of versions) {
    // The release tag (VERSION in its postinstall) comes from the package itself: npm pack reads it from npm's cache.
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'stephrl-rg-'));
    try {
      run('npm', ['pack', '--silent', '--pack-destination', scratch, `@vscode/ripgrep@${version}`], {
        cwd: scratch,
        env: npmEnv(),
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      const tgz = fs.readdirSync(scratch).find((f) => f.endsWith('.tgz'));
      run('tar', ['-xzf', path.join(scratch, tgz), '-C', scratch, 'package/lib/postinstall.js']);
      const source = fs.readFileSync(path.join(scratch, 'package', 'lib', 'postinstall.js'), 'utf8');
      const release = /const VERSION = '([^']+)'/.exec(source)?.[1];
      if (!release) throw new SetupError(`cannot read the ripgrep release of @vscode/ripgrep@${version}`);
      const cacheDir = path.join(os.tmpdir(), `vscode-ripgrep-cache-${version}`);
      const asset = path.join(cacheDir, `ripgrep-${release}-${target}.tar.gz`);
      fs.mkdirSync(cacheDir, { recursive: true });
      fs.mkdirSync(path.join(scratch, 'rg'));
      fs.copyFileSync(rg, path.join(scratch, 'rg', 'rg'));
      fs.chmodSync(path.join(scratch, 'rg', 'rg'), 0o755);
      run('tar', ['-czf', asset, '-C', path.join(scratch, 'rg'), 'rg']);
      log(`ripgrep: Debian's ${rg} placed as ${asset}`);
    } finally {
      fs.rmSync(scratch, { recursive: true, force: true });
    }
  }
}

/**
 * The environment code-server runs in: its config file and data (logs, default user data) under .stephrl/e2e, never
 * in the home folder (it writes a default config file on its first start).
 */
export function codeServerEnv(extra = {}) {
  const home = path.join(e2eHome, 'xdg');
  return { ...process.env, XDG_CONFIG_HOME: path.join(home, 'config'), XDG_DATA_HOME: path.join(home, 'data'), ...extra };
}

function codeServer() {
  const key = `code-server@${CODE_SERVER_VERSION} node${nodeMajor} ${os.arch()}`;
  if (fs.existsSync(stampFile) && fs.readFileSync(stampFile, 'utf8') === key && fs.existsSync(codeServerEntry)) {
    return log(`code-server ${CODE_SERVER_VERSION}: installed (${codeServerPrefix})`);
  }
  if (nodeMajor !== 20) throw new SetupError(`code-server ${CODE_SERVER_VERSION} needs Node 20; this is Node ${process.versions.node}`);
  fs.rmSync(stampFile, { force: true });
  fs.mkdirSync(codeServerPrefix, { recursive: true });
  // Its own package.json, so that npm never walks up to the project's.
  fs.writeFileSync(path.join(codeServerPrefix, 'package.json'), `${JSON.stringify({ name: 'stephrl-e2e-code-server', private: true }, null, 2)}\n`);
  let started = Date.now();
  log(`code-server ${CODE_SERVER_VERSION}: installing into ${codeServerPrefix} (npm, without scripts)`);
  const npm = ['--prefix', codeServerPrefix, '--no-audit', '--no-fund', '--loglevel=error'];
  run('npm', ['install', ...npm, '--ignore-scripts', '--save-exact', `code-server@${CODE_SERVER_VERSION}`], { cwd: codeServerPrefix, env: npmEnv() });
  log(`code-server: package in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  ripgrepCache();
  started = Date.now();
  // Every install script of the tree: argon2 (built from source: its prebuilt download is on a code host) and
  // code-server's postinstall (installs VS Code's own modules and builds the native ones with node-gyp).
  log('code-server: running the install scripts (builds native modules with node-gyp: about a minute the first time)');
  run('npm', ['rebuild', ...npm, '--foreground-scripts'], { cwd: codeServerPrefix, env: npmEnv() });
  if (!fs.existsSync(path.join(codeServerPackage, 'lib', 'vscode', 'node_modules', '@vscode', 'ripgrep', 'bin', 'rg'))) {
    throw new SetupError("code-server's postinstall finished but VS Code's modules are incomplete (no ripgrep binary)");
  }
  const version = spawnSync(process.execPath, [codeServerEntry, '--version'], { encoding: 'utf8', env: codeServerEnv() });
  if (version.status !== 0 || !version.stdout.includes(`${CODE_SERVER_VERSION} `)) {
    throw new SetupError(`code-server does not start: ${(version.stderr || version.stdout).trim().split('\n').slice(-3).join(' | ')}`);
  }
  log(`code-server: install scripts in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  fs.writeFileSync(stampFile, key);
}

/** Everything the workbench test needs; returns the paths it uses. */
export function setUpWorkbench() {
  const started = Date.now();
  aptPackages();
  codeServer();
  log(`done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return { codeServerEntry, chromiumPath };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    setUpWorkbench();
  } catch (error) {
    console.error(`[e2e-setup] ${error instanceof SetupError ? error.message : error.stack}`);
    process.exit(1);
  }
}
