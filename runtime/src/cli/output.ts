/** Output and process-lifetime helpers shared by CLI commands. */
export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

/**
 * Calls `onFirst` on the first Ctrl-C or SIGTERM and exits at once on a second one; returns the un-registration.
 * The listeners stay registered until then (not `once`): a library's signal-exit hook (loaded with node-llama-cpp)
 * re-raises a signal when it finds itself the only listener left, which would kill the process mid-cleanup.
 */
export function onStopSignals(onFirst: (signal: NodeJS.Signals) => void): () => void {
  let received = 0;
  const handler = (signal: NodeJS.Signals) => {
    if (++received > 1) process.exit(signal === 'SIGINT' ? 130 : 143);
    onFirst(signal);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}

/** On Ctrl-C or SIGTERM, close workers (no orphan engines) before exiting. */
export function closeOnSignals(close: () => Promise<void>): void {
  onStopSignals((signal) => void close().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143)));
}

/**
 * Rows as aligned columns under a header and a rule; `right` names the columns aligned to the right (numbers).
 * Widths count characters, so a table of plain text lines up in any monospace terminal.
 */
export function alignedTable(header: readonly string[], rows: ReadonlyArray<readonly string[]>, right: ReadonlySet<number> = new Set()): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (right.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const head = line(header);
  return [head, '-'.repeat(head.length), ...rows.map(line)].join('\n');
}
