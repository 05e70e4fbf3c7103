/**
 * The services behind the CLI and the JSON-RPC server: one function per job, taking the protocol's validated request
 * and hooks for progress, cancellation and logs, returning the protocol's result. The server's handlers and the CLI's
 * commands only turn their input into a request (the same schema checks it for both) and forward it.
 */
import type { z } from 'zod';
import { requests, type RequestName, type RequestParams } from '../protocol/rpc';
import { describeIssues } from '../protocol/issues';
import { UsageError } from '../protocol/errors';
import type { Logger } from '../util/log';

/** What every long job is given by its caller. */
export interface JobHooks {
  signal?: AbortSignal;
  log: Logger;
  /** Called with the run's id once the job has one (the server tracks it for `runs/stop`). */
  onRun?: (runId: number | null) => void;
}

/** `--per-task` for `perTask`: how the CLI names a request field. */
function flagOf(field: PropertyKey): string {
  return `--${String(field).replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/**
 * A request built from the command line, checked by the protocol's own schema: the CLI accepts exactly what the server
 * accepts, with the same defaults, and a refusal names the option.
 */
export function cliRequest<N extends RequestName>(name: N, input: Record<string, unknown>): RequestParams<N> {
  const defined = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined));
  const parsed = (requests[name].params as z.ZodType).safeParse(defined);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({ ...i, path: i.path.length ? [flagOf(i.path[0]!), ...i.path.slice(1)] : i.path }));
    throw new UsageError(describeIssues(issues));
  }
  return parsed.data as RequestParams<N>;
}

/** A number option as given ('' or junk become NaN, which the schema refuses with the option's name). */
export function numberOption(value: string | undefined): number | undefined {
  return value === undefined ? undefined : value.trim() === '' ? NaN : Number(value);
}
