/**
 * Starts the runtime (`stephrl serve`) with the system `node` (never inside the extension host, whose Electron
 * ABI cannot load the runtime's native modules), talks JSON-RPC to it over stdio, and restarts it with backoff
 * when it dies. Pending requests fail with a clear message when that happens.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  CancellationTokenSource,
  createMessageConnection,
  StreamMessageReader,
  StreamMessageWriter,
  type MessageConnection,
} from 'vscode-jsonrpc/node';
import { onNotification, sendRequest } from '../../runtime/src/protocol/jsonrpc';
import type { NotificationParams, RequestInput, RequestName, RequestResult } from '../../runtime/src/protocol/rpc';
import { isRuntimeInstalled } from './runtime-setup';
import { readSettings } from './settings';

export type RuntimeState = 'stopped' | 'starting' | 'ready' | 'restricted' | 'failed';

const MAX_BACKOFF_MS = 30_000;

export class RuntimeClient implements vscode.Disposable {
  private child: ChildProcess | undefined;
  private connection: MessageConnection | undefined;
  private state: RuntimeState = 'stopped';
  private restarts = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private disposed = false;
  private readonly stateEmitter = new vscode.EventEmitter<{ state: RuntimeState; message: string }>();
  readonly onDidChangeState = this.stateEmitter.event;
  private readonly evaluationProgressEmitter = new vscode.EventEmitter<NotificationParams<'agent/evaluationProgress'>>();
  /** Progress of `agent/evaluate` requests (match the token you sent). */
  readonly onEvaluationProgress = this.evaluationProgressEmitter.event;
  private readonly jobProgressEmitter = new vscode.EventEmitter<NotificationParams<'job/progress'>>();
  /** Progress of demonstration and annotation jobs (match the token you sent). */
  readonly onJobProgress = this.jobProgressEmitter.event;

  constructor(
    private readonly extensionPath: string,
    private readonly log: vscode.LogOutputChannel,
    /** STEPHRL_HOME for the runtime (an installed extension keeps its state in global storage). */
    private readonly stateHome?: string,
  ) {}

  /** Where the embedded model runs ("CUDA (NVIDIA ...)", "CPU (8 threads)"), once the runtime said. */
  device: string | null = null;

  get currentState(): RuntimeState {
    return this.state;
  }

  private setState(state: RuntimeState, message: string): void {
    this.state = state;
    this.stateEmitter.fire({ state, message });
  }

  start(): void {
    if (this.disposed || this.child) return;
    if (!vscode.workspace.isTrusted) {
      this.setState('restricted', 'The runtime runs executables from settings, so it starts only in a trusted workspace.');
      return;
    }
    if (!isRuntimeInstalled(this.extensionPath)) {
      // An installed .vsix carries no native modules: starting would only crash and restart in a loop.
      this.setState('failed', 'The runtime is not set up yet: run "STEP-HRL: Set Up Runtime".');
      void vscode.window
        .showWarningMessage('STEP-HRL Studio needs its runtime set up once (npm packages, Python environment, default model).', 'Set Up Runtime')
        .then((a) => a && vscode.commands.executeCommand('stephrl.setUpRuntime'));
      return;
    }
    const node = readSettings().nodePath;
    const cli = path.join(this.extensionPath, 'runtime', 'bin', 'stephrl.js');
    this.setState('starting', `starting ${node} ${cli} serve`);
    this.log.info(`starting the runtime: ${node} ${cli} serve`);
    const child = spawn(node, [cli, 'serve'], {
      cwd: this.extensionPath,
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, ...this.pythonEnv() },
    });
    this.child = child;
    const connection = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
    this.connection = connection;
    onNotification(
      connection,
      'runtime/log',
      ({ level, message }) => this.log[level](message),
      (m) => this.log.warn(m),
    );
    onNotification(
      connection,
      'agent/evaluationProgress',
      (p) => this.evaluationProgressEmitter.fire(p),
      (m) => this.log.warn(m),
    );
    onNotification(
      connection,
      'job/progress',
      (p) => this.jobProgressEmitter.fire(p),
      (m) => this.log.warn(m),
    );
    child.stderr!.on('data', (data: Buffer) => {
      for (const line of data.toString().split('\n')) if (line.trim()) this.log.trace(`[runtime] ${line}`);
    });
    child.on('error', (error) => {
      this.log.error(`cannot start the runtime with '${node}': ${error.message}`);
      this.setState('failed', `Cannot start '${node}': ${error.message}. Set "stephrl.nodePath" to a Node.js 20+ executable.`);
    });
    child.on('exit', (code, signal) => this.onExit(child, code, signal));
    connection.listen();
    this.request('runtime/health', {}).then(
      (health) => {
        this.restarts = 0;
        const missing = Object.entries(health).filter(([, c]) => typeof c === 'object' && !c.ok);
        this.device = health.device.ok ? health.device.detail : null;
        this.setState(
          'ready',
          `${missing.length ? `ready; missing: ${missing.map(([n]) => n).join(', ')}` : 'ready'}${this.device ? `; models run on ${this.device}` : ''}`,
        );
      },
      (error: Error) => this.log.error(`runtime health check failed: ${error.message}`),
    );
  }

  private pythonEnv(): NodeJS.ProcessEnv {
    const { pythonPath: python, alfworldDataDir: alfworld } = readSettings();
    const env: NodeJS.ProcessEnv = {};
    if (this.stateHome) env.STEPHRL_HOME = this.stateHome;
    if (python) env.STEPHRL_PYTHON = python;
    if (alfworld) env.ALFWORLD_DATA = alfworld;
    return env;
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.child !== child) return;
    this.connection?.dispose();
    this.connection = undefined;
    this.child = undefined;
    if (this.disposed) return;
    const delay = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** this.restarts++);
    const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
    this.log.warn(`the runtime ${how}; restarting in ${delay / 1000} s`);
    this.setState('stopped', `The runtime ${how}; restarting in ${delay / 1000} s.`);
    this.restartTimer = setTimeout(() => this.start(), delay);
  }

  /** Sends a request; cancelling `cancel` asks the runtime to stop the work (long jobs end cleanly there). */
  async request<N extends RequestName>(name: N, params: RequestInput<N>, cancel?: vscode.CancellationToken): Promise<RequestResult<N>> {
    if (!this.connection) throw new Error(`the STEP-HRL runtime is not running (${this.state}); see "STEP-HRL: Show Logs"`);
    const source = cancel ? new CancellationTokenSource() : undefined;
    const subscription = cancel?.onCancellationRequested(() => source?.cancel());
    try {
      return await sendRequest(this.connection, name, params, source?.token);
    } catch (error) {
      if (!this.child) throw new Error(`the STEP-HRL runtime stopped while answering ${name}; it is being restarted`, { cause: error });
      throw error;
    } finally {
      subscription?.dispose();
      source?.dispose();
    }
  }

  restart(): void {
    clearTimeout(this.restartTimer);
    this.restarts = 0;
    const child = this.child;
    this.child = undefined;
    this.connection?.dispose();
    this.connection = undefined;
    child?.kill();
    this.start();
  }

  dispose(): void {
    this.disposed = true;
    clearTimeout(this.restartTimer);
    this.connection?.dispose();
    this.child?.kill();
    this.stateEmitter.dispose();
    this.evaluationProgressEmitter.dispose();
    this.jobProgressEmitter.dispose();
  }
}
