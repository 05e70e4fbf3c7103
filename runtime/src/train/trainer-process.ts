/**
 * Starts the Python trainer (python -m stephrl_train, or `accelerate launch` for several processes / DeepSpeed /
 * FSDP), validates its JSON-lines events and hands them over in order. Cancel: SIGTERM to the trainer's process
 * group (it finishes the step, checkpoints and exits); SIGKILL if it has not gone after a grace period.
 */
import { spawn } from 'node:child_process';
import * as readline from 'node:readline';
import { TrainerEvent, type TrainKind, type TrainPreset } from '../protocol/trainer';
import { pythonSourceDir, resolvePython } from '../util/paths';
import { silentLogger, type Logger } from '../util/log';
import { ErrorCodes, StudioError } from '../protocol/errors';

export interface TrainerLaunch {
  kind: TrainKind;
  db: string;
  model: string;
  out: string;
  preset: TrainPreset;
  setId?: number;
  steps?: number;
  /** Settings over the preset (runtime/python/stephrl_train/config.py names). */
  config?: Record<string, unknown>;
  initAdapter?: string;
  cpu?: boolean;
  exportGguf?: boolean;
  /** Run under `accelerate launch` with this config file (multi-GPU, DeepSpeed ZeRO-2, FSDP) and process count. */
  accelerate?: { configFile?: string; processes?: number };
  python?: string;
  signal?: AbortSignal;
  log?: Logger;
  /** Test hook: the trainer stops (as if killed) after this many steps. */
  stopAfter?: number;
}

export interface TrainerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  cancelled: boolean;
  stderrTail: string;
}

export class TrainerError extends StudioError {
  constructor(message: string) {
    super(message, ErrorCodes.TrainerError);
    this.name = 'TrainerError';
  }
}

const GRACE_MS = 120_000;

export function trainerArguments(launch: TrainerLaunch): string[] {
  const args = [launch.kind, '--db', launch.db, '--model', launch.model, '--out', launch.out, '--preset', launch.preset];
  if (launch.setId !== undefined) args.push('--set', String(launch.setId));
  if (launch.steps !== undefined) args.push('--steps', String(launch.steps));
  if (launch.config && Object.keys(launch.config).length) args.push('--config', JSON.stringify(launch.config));
  if (launch.initAdapter) args.push('--init-adapter', launch.initAdapter);
  if (launch.cpu) args.push('--cpu');
  if (launch.exportGguf === false) args.push('--no-export');
  if (launch.stopAfter !== undefined) args.push('--stop-after', String(launch.stopAfter));
  return args;
}

export function runTrainerProcess(launch: TrainerLaunch, onEvent: (event: TrainerEvent) => Promise<void> | void): Promise<TrainerExit> {
  const log = launch.log ?? silentLogger;
  const python = resolvePython(launch.python);
  const trainer = trainerArguments(launch);
  const acc = launch.accelerate;
  // A config file: `accelerate launch` (DeepSpeed, FSDP, several machines). Only a process count: torchrun, which
  // accelerate picks up as plain data parallelism (NCCL on GPUs, gloo on CPUs).
  const argv = acc?.configFile
    ? [
        '-m',
        'accelerate.commands.launch',
        '--config_file',
        acc.configFile,
        ...(acc.processes ? ['--num_processes', String(acc.processes)] : []),
        '-m',
        'stephrl_train',
        ...trainer,
      ]
    : acc?.processes && acc.processes > 1
      ? ['-m', 'torch.distributed.run', '--nproc_per_node', String(acc.processes), '-m', 'stephrl_train', ...trainer]
      : ['-m', 'stephrl_train', ...trainer];
  log('info', `trainer: ${python} ${argv.join(' ')}`);
  const child = spawn(python, argv, {
    env: {
      ...process.env,
      PYTHONPATH: [pythonSourceDir, process.env.PYTHONPATH].filter(Boolean).join(':'),
      PYTHONUNBUFFERED: '1',
      // The trainer stops within a second of this process's death (stephrl_train/events.py exit_with_runtime).
      STEPHRL_RUNTIME_PID: String(process.pid),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group: accelerate's workers are stopped with it
  });
  const stderrTail: string[] = [];
  let chain: Promise<void> = Promise.resolve();
  let handlerError: unknown = null;
  let cancelled = false;
  let killTimer: NodeJS.Timeout | undefined;
  const signalGroup = (sig: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, sig);
    } catch {
      /* already gone */
    }
  };
  const cancel = () => {
    cancelled = true;
    signalGroup('SIGTERM');
    killTimer = setTimeout(() => signalGroup('SIGKILL'), GRACE_MS);
  };
  if (launch.signal?.aborted) cancel();
  else launch.signal?.addEventListener('abort', cancel, { once: true });

  readline.createInterface({ input: child.stderr! }).on('line', (line) => {
    if (/\r|it\/s\]|^\s*$/.test(line)) return; // progress bars of library loaders
    stderrTail.push(line);
    if (stderrTail.length > 30) stderrTail.shift();
    log('debug', `trainer: ${line}`);
  });
  readline.createInterface({ input: child.stdout! }).on('line', (line) => {
    let event: TrainerEvent;
    try {
      event = TrainerEvent.parse(JSON.parse(line));
    } catch {
      log('warn', `trainer printed a line that is not an event: ${line.slice(0, 300)}`);
      return;
    }
    chain = chain.then(async () => {
      if (handlerError) return;
      try {
        await onEvent(event);
      } catch (error) {
        handlerError = error;
        cancel(); // the runtime cannot record the run: stop the trainer rather than train blind
      }
    });
  });
  return new Promise((resolve, reject) => {
    child.once('error', (error) => reject(new TrainerError(`cannot start the trainer with ${python}: ${error.message}`)));
    child.once('close', (code, signal) => {
      clearTimeout(killTimer);
      launch.signal?.removeEventListener('abort', cancel);
      void chain.then(() => {
        if (handlerError) reject(handlerError);
        else resolve({ code, signal, cancelled, stderrTail: stderrTail.join('\n') });
      });
    });
  });
}
