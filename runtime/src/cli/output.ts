/** Output and process-lifetime helpers shared by CLI commands. */
export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

/** On Ctrl-C or SIGTERM, close workers (no orphan engines) before exiting. */
export function closeOnSignals(close: () => Promise<void>): void {
  const handler = (signal: NodeJS.Signals) => {
    void close().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', handler);
  process.once('SIGTERM', handler);
}
