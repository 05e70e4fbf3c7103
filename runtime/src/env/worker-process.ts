/**
 * One Python environment worker process (one engine instance) and the JSON-lines channel to it.
 *
 * Every call has a timeout; a worker that times out is treated as hung and killed. When a worker dies, every
 * pending call fails with an error that carries the worker's last stderr lines (the engine's own explanation).
 * Workers run in their own process group so that the JVM that ScienceWorld starts goes down with its worker.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as readline from 'node:readline';
import type { z } from 'zod';
import { EnvKind, type EngineInfo } from '../protocol/environment';
import { WorkerLine, workerResults, type WorkerMethod, type WorkerResult } from '../protocol/env-worker';
import { pythonSourceDir, resolvePython } from '../util/paths';
import { silentLogger, type Logger } from '../util/log';
import { ErrorCodes, StudioError } from '../protocol/errors';

export interface WorkerTimeouts {
  /** Starting the process and its engine (JVM start, TextWorld import). */
  startMs: number;
  /** Loading an episode (ScienceWorld gold-path generation, ALFWorld game parsing). */
  resetMs: number;
  /** Any other call. */
  callMs: number;
}

/**
 * Environment-call limits; a slow machine or a huge ScienceWorld variation can raise them without code:
 * STEPHRL_WORKER_TIMEOUT_S (every call), STEPHRL_WORKER_START_TIMEOUT_S, STEPHRL_WORKER_RESET_TIMEOUT_S.
 */
export const defaultTimeouts = (): WorkerTimeouts => ({
  startMs: timeoutFromEnv('STEPHRL_WORKER_START_TIMEOUT_S', 120_000),
  resetMs: timeoutFromEnv('STEPHRL_WORKER_RESET_TIMEOUT_S', 120_000),
  callMs: timeoutFromEnv('STEPHRL_WORKER_TIMEOUT_S', 60_000),
});

function timeoutFromEnv(name: string, fallbackMs: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallbackMs;
  const seconds = Number(raw);
  if (!Number.isFinite(seconds) || seconds <= 0) throw new EngineError(`${name} must be a number of seconds above 0, not '${raw}'`, 'bad_setting');
  return seconds * 1000;
}

export interface WorkerOptions {
  python?: string;
  timeouts?: Partial<WorkerTimeouts>;
  log?: Logger;
  /** Extra environment variables for the worker (e.g. JAVA_HOME, ALFWORLD_DATA). */
  env?: NodeJS.ProcessEnv;
}

/** A failure of the worker itself (not an engine's answer to a bad request). */
export class WorkerFailure extends StudioError {
  constructor(
    message: string,
    readonly code: 'worker_died' | 'timeout' | 'start_failed' | 'protocol' | 'closed',
    /** The worker's own reason code when it refused to start (e.g. java_missing). */
    readonly engineCode?: string,
  ) {
    super(message, ErrorCodes.WorkerFailure);
    this.name = 'WorkerFailure';
  }
}

/** The engine answered a request with an error (unknown task, not a game...). The worker is still usable. */
export class EngineError extends StudioError {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message, ErrorCodes.EngineError);
    this.name = 'EngineError';
  }
}

interface Pending {
  method: WorkerMethod;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

const STDERR_TAIL_LINES = 40;

export class EnvWorker {
  readonly kind: EnvKind;
  private child: ChildProcess | undefined;
  private readonly timeouts: WorkerTimeouts;
  private readonly log: Logger;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly stderrTail: string[] = [];
  private readyPromise: Promise<EngineInfo> | undefined;
  private failure: WorkerFailure | undefined;
  private exitPromise: Promise<void> | undefined;

  constructor(
    kind: EnvKind,
    private readonly options: WorkerOptions = {},
  ) {
    this.kind = kind;
    this.timeouts = { ...defaultTimeouts(), ...options.timeouts };
    this.log = options.log ?? silentLogger;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get alive(): boolean {
    return this.child !== undefined && this.failure === undefined;
  }

  /** Starts the process if needed and resolves once its engine is up. */
  start(): Promise<EngineInfo> {
    this.readyPromise ??= this.spawnAndWait();
    return this.readyPromise;
  }

  private spawnAndWait(): Promise<EngineInfo> {
    const python = resolvePython(this.options.python);
    const env = {
      ...process.env,
      ...this.options.env,
      PYTHONPATH: [pythonSourceDir, process.env.PYTHONPATH].filter(Boolean).join(':'),
      PYTHONUNBUFFERED: '1',
    };
    const child = spawn(python, ['-m', 'stephrl_env.worker', this.kind], {
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true, // own process group: python and its JVM are killed together
    });
    this.child = child;
    let onReady: ((info: EngineInfo) => void) | undefined;
    let onFail: ((error: Error) => void) | undefined;
    const ready = new Promise<EngineInfo>((resolve, reject) => {
      onReady = resolve;
      onFail = reject;
    });
    this.onFailure = (error) => {
      clearTimeout(startTimer);
      onFail?.(error);
    };
    const startTimer = setTimeout(() => {
      this.fail(new WorkerFailure(`${this.kind} worker did not start within ${this.timeouts.startMs} ms${this.tailText()}`, 'timeout'));
    }, this.timeouts.startMs);

    this.exitPromise = new Promise((resolve) => child.once('close', () => resolve()));
    child.once('error', (error) => {
      this.fail(new WorkerFailure(`cannot start the ${this.kind} worker with ${python}: ${error.message}`, 'start_failed'));
    });
    child.once('exit', (code, signal) => {
      clearTimeout(startTimer);
      const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      this.fail(new WorkerFailure(`the ${this.kind} worker (pid ${child.pid}) ${how}${this.tailText()}`, 'worker_died'));
    });
    child.stdin?.on('error', () => {}); // EPIPE after death is reported through 'exit'

    readline.createInterface({ input: child.stderr! }).on('line', (line) => {
      this.stderrTail.push(line);
      if (this.stderrTail.length > STDERR_TAIL_LINES) this.stderrTail.shift();
      this.log('debug', `[${this.kind} worker ${child.pid}] ${line}`);
    });
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      let parsed: WorkerLine;
      try {
        parsed = WorkerLine.parse(JSON.parse(line));
      } catch (error) {
        this.fail(new WorkerFailure(`the ${this.kind} worker sent a malformed line: ${line.slice(0, 200)}`, 'protocol'));
        return;
      }
      if ('event' in parsed) {
        clearTimeout(startTimer);
        if (parsed.event === 'ready') onReady?.(parsed.engine);
        else this.fail(new WorkerFailure(parsed.error.message, 'start_failed', parsed.error.code));
        return;
      }
      const pending = parsed.id === null ? undefined : this.pending.get(parsed.id);
      if (!pending || parsed.id === null) {
        this.log('warn', `${this.kind} worker answered an unknown request: ${line.slice(0, 200)}`);
        return;
      }
      this.pending.delete(parsed.id);
      clearTimeout(pending.timer);
      if (parsed.ok) pending.resolve(parsed.result);
      else pending.reject(new EngineError(parsed.error.message, parsed.error.code));
    });
    return ready;
  }

  private onFailure: ((error: Error) => void) | undefined;

  private tailText(): string {
    const tail = this.stderrTail.slice(-12).join('\n');
    return tail ? `; its last output:\n${tail}` : '';
  }

  /** Marks the worker failed, rejects everything pending and kills the process group. */
  private fail(error: WorkerFailure): void {
    if (this.failure) return;
    this.failure = error;
    this.onFailure?.(error);
    for (const [id, pending] of this.pending) {
      clearTimeout(pending.timer);
      pending.reject(error);
      this.pending.delete(id);
    }
    this.killGroup('SIGKILL');
  }

  private killGroup(signal: NodeJS.Signals): void {
    const pid = this.child?.pid;
    if (pid === undefined || this.child?.exitCode !== null || this.child?.signalCode !== null) {
      // The leader is gone; its group (a JVM) may still be there.
      if (pid !== undefined) tryKill(-pid, signal);
      return;
    }
    tryKill(-pid, signal);
  }

  /** Sends one request and validates its result. */
  async call<M extends WorkerMethod>(method: M, params: Record<string, unknown> = {}): Promise<WorkerResult<M>> {
    await this.start();
    if (this.failure) throw this.failure;
    const id = this.nextId++;
    const timeoutMs = method === 'reset' || method === 'listSplit' ? this.timeouts.resetMs : this.timeouts.callMs;
    const raw = await new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        const error = new WorkerFailure(
          `the ${this.kind} worker did not answer '${method}' within ${timeoutMs} ms and was stopped${this.tailText()}`,
          'timeout',
        );
        reject(error);
        this.fail(error);
      }, timeoutMs);
      this.pending.set(id, { method, resolve, reject, timer });
      this.child!.stdin!.write(JSON.stringify({ id, method, params }) + '\n');
    });
    const schema = workerResults[method] as unknown as z.ZodType<WorkerResult<M>>;
    const checked = schema.safeParse(raw);
    if (!checked.success) {
      throw new WorkerFailure(`the ${this.kind} worker's '${method}' result does not match the protocol: ${checked.error.message}`, 'protocol');
    }
    return checked.data;
  }

  /** Asks the worker to exit, then makes sure its whole process group is gone. */
  async close(graceMs = 3000): Promise<void> {
    if (!this.child) return;
    if (!this.failure) {
      const asked = this.call('close').catch(() => undefined);
      await Promise.race([asked, delay(graceMs)]);
      this.child.stdin?.end();
    }
    const exited = this.exitPromise ?? Promise.resolve();
    const finished = await Promise.race([exited.then(() => true), delay(graceMs).then(() => false)]);
    if (!finished) this.killGroup('SIGKILL');
    else tryKill(-this.child.pid!, 'SIGKILL'); // a JVM left in the group
    this.failure ??= new WorkerFailure(`the ${this.kind} worker is closed`, 'closed');
    await exited;
  }

  /** For tests and crash recovery: kill the worker the hard way. */
  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.child?.pid) tryKill(this.child.pid, signal);
  }
}

function tryKill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
