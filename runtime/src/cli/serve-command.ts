/** `stephrl serve`: the JSON-RPC server the extension talks to, over stdin/stdout (never a network port). */
import type { Command } from 'commander';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, ResponseError } from 'vscode-jsonrpc/node';
import { ErrorCodes, sendNotification, serveProtocol, type Handlers } from '../protocol/jsonrpc';
import { createHandlers } from '../server/handlers';
import type { Logger } from '../util/log';
import { checkHealth } from '../server/health';
import { guardInputStream } from '../server/stream-guard';
import { onStopSignals } from './output';
import { clipMessage } from '../util/clip';
import { StudioError } from '../protocol/errors';

/** Turns runtime errors into JSON-RPC errors whose message a person can act on. */
function withErrorCodes(handlers: Handlers): Handlers {
  const wrapped: Record<string, (params: unknown, signal: AbortSignal) => Promise<unknown>> = {};
  for (const [name, handler] of Object.entries(handlers) as Array<[string, (p: unknown, s: AbortSignal) => Promise<unknown>]>) {
    wrapped[name] = async (params, signal) => {
      try {
        return await handler(params, signal);
      } catch (error) {
        if (error instanceof ResponseError) throw error;
        const code = error instanceof StudioError ? error.rpcCode : ErrorCodes.Internal;
        throw new ResponseError(code, clipMessage((error as Error).message));
      }
    };
  }
  return wrapped as Handlers;
}

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('serve the runtime over JSON-RPC on stdin/stdout (started by the VS Code extension)')
    .action(async () => {
      // stdout carries the protocol: anything printed goes to stderr instead.
      console.log = console.info = (...args: unknown[]) => process.stderr.write(args.map(String).join(' ') + '\n');
      const reader = new StreamMessageReader(process.stdin);
      const writer = new StreamMessageWriter(process.stdout);
      const connection = createMessageConnection(reader, writer);
      const log: Logger = (level, message) => {
        process.stderr.write(`[${level}] ${message}\n`);
        if (level !== 'debug') sendNotification(connection, 'runtime/log', { level, message });
      };
      const { handlers, dispose } = createHandlers(connection, log);
      guardInputStream(reader, writer, log, (code) => void dispose().finally(() => process.exit(code)));
      serveProtocol(connection, withErrorCodes(handlers));
      const stop = async () => {
        await dispose();
        process.exit(0);
      };
      connection.onClose(() => void stop());
      onStopSignals(() => void stop());
      connection.listen();
      log('info', `runtime ${process.pid} ready (Node ${process.versions.node})`);
      await new Promise(() => {}); // served until the connection closes
    });

  program
    .command('doctor')
    .description('check Node, Python, Java, the ALFWorld data and the default model, and say how to fix what is missing')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const { runtimeVersion, ...checks } = await checkHealth();
      if (opts.json) process.stdout.write(JSON.stringify({ runtimeVersion, ...checks }, null, 2) + '\n');
      else {
        process.stdout.write(`stephrl ${runtimeVersion}\n`);
        for (const [name, check] of Object.entries(checks)) {
          process.stdout.write(`${check.ok ? 'ok     ' : 'MISSING'} ${name}: ${check.detail}${check.fix ? `\n        fix: ${check.fix}` : ''}\n`);
        }
      }
      if (Object.values(checks).some((c) => !c.ok)) process.exitCode = 1;
    });
}
