import { spawn } from 'node:child_process';
import * as path from 'node:path';
import type { EpisodeFields } from '../../runtime/src/protocol/dataset';

export const root = path.resolve(__dirname, '..', '..');
export const cli = path.join(root, 'runtime', 'bin', 'stephrl.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built `stephrl` CLI as a user would. */
export function runCli(args: string[], options: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { cwd: root, env: { ...process.env, ...options.env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`stephrl ${args.join(' ')} timed out\n${stderr}`));
    }, options.timeoutMs ?? 300_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** True while any process of the group led by `pid` exists (a worker's JVM included). */
export function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (condition()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return condition();
}

/** A finished ALFWorld policy episode's fields, as the evaluation harness records them, with `over` on top. */
export function episodeFields(over: Partial<EpisodeFields>): EpisodeFields {
  return {
    env: 'alfworld',
    split: 'valid_seen',
    task: 'pick_and_place_simple',
    variation: null,
    simplifications: null,
    game: null,
    taskParams: null,
    source: 'policy',
    agent: 'stephrl',
    model: 'tiny.gguf',
    adapter: null,
    engineName: 'alfworld',
    engineVersion: 'test',
    taskDescription: 'a task',
    initialObservation: 'you are in a room',
    initialLook: null,
    initialInventory: null,
    maxSteps: 50,
    status: 'complete',
    stoppedBy: 'done',
    error: null,
    score: 0,
    won: false,
    startedAt: '2026-11-30T10:00:00.000Z',
    finishedAt: '2026-11-30T10:01:00.000Z',
    seconds: 60,
    ...over,
  };
}
