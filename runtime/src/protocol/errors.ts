/**
 * The errors the runtime means a person to read. Each carries its JSON-RPC code (what the extension sees) and its
 * exit code (what a shell sees), so the server and the CLI map errors the same way and a new error cannot be
 * forgotten by one of them. Anything else reaching a boundary is a bug: Internal, with its stack on the CLI.
 */

/** JSON-RPC error codes for this protocol (the -32000..-32099 range is for servers). */
export const ErrorCodes = {
  MethodNotFound: -32601,
  InvalidParams: -32602,
  EngineError: -32001,
  WorkerFailure: -32002,
  InvalidEdit: -32003,
  StoreError: -32004,
  ModelError: -32005,
  /** A malformed import: the message names the file, the line and what is wrong; nothing was stored. */
  ImportError: -32006,
  /** An export target that cannot be written; nothing else was touched. */
  ExportError: -32007,
  /** The trainer could not start, or stopped with an error; the message carries its last lines. */
  TrainerError: -32008,
  /** The request is well formed but the thing it names is in the wrong state (a run still running, one that is not). */
  Conflict: -32009,
  Cancelled: -32800,
  Internal: -32603,
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

/** Exit codes of `stephrl`: 1 a failure the message explains, 2 a command line that cannot be run as written. */
export const ExitCodes = { Failure: 1, Usage: 2 } as const;

export class StudioError extends Error {
  constructor(
    message: string,
    readonly rpcCode: ErrorCode,
    readonly exitCode: number = ExitCodes.Failure,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'StudioError';
  }
}

/** Bad arguments: refused before anything ran. */
export class UsageError extends StudioError {
  constructor(message: string) {
    super(message, ErrorCodes.InvalidParams, ExitCodes.Usage);
    this.name = 'UsageError';
  }
}

/** A request naming something in a state that does not allow it (stop a run that is not running, ...). */
export class ConflictError extends StudioError {
  constructor(message: string) {
    super(message, ErrorCodes.Conflict);
    this.name = 'ConflictError';
  }
}
