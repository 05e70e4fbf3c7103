/** A minimal leveled logger: the CLI writes to stderr, the JSON-RPC server forwards to the extension. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type Logger = (level: LogLevel, message: string) => void;

export const stderrLogger =
  (minimum: LogLevel = 'info'): Logger =>
  (level, message) => {
    const order: LogLevel[] = ['debug', 'info', 'warn', 'error'];
    if (order.indexOf(level) >= order.indexOf(minimum)) process.stderr.write(`[${level}] ${message}\n`);
  };

export const silentLogger: Logger = () => {};
