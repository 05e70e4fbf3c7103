/** What importers produce and how they report bad input. */
import type { EpisodeFields } from '../protocol/dataset';
import type { EpisodeChildren } from '../store/episodes';
import { ErrorCodes, StudioError } from '../protocol/errors';

export interface ImportedEpisode {
  fields: EpisodeFields;
  children: EpisodeChildren;
}

/** The run fields of an imported episode, the same for every format: complete, the outcome of its last step, imported now. */
export function importedOutcome(
  last: { score: number; won: boolean },
  stoppedBy: string | null,
): Pick<EpisodeFields, 'maxSteps' | 'status' | 'stoppedBy' | 'error' | 'score' | 'won' | 'startedAt' | 'finishedAt' | 'seconds'> {
  return {
    maxSteps: null,
    status: 'complete',
    stoppedBy,
    error: null,
    score: last.score,
    won: last.won,
    startedAt: new Date().toISOString(),
    finishedAt: null,
    seconds: null,
  };
}

/** One problem in an input file: where (file, line, optional JSON path) and what. */
export interface ImportProblem {
  file: string;
  line: number;
  path?: string;
  message: string;
}

/** An export that could not be written (a folder, a missing or read-only place, a full disk): names the target. */
export class ExportError extends StudioError {
  constructor(
    readonly target: string,
    reason: string,
  ) {
    super(`cannot write the export to ${target}: ${reason}`, ErrorCodes.ExportError);
    this.name = 'ExportError';
  }
}

export class ImportError extends StudioError {
  constructor(readonly problems: ImportProblem[]) {
    super(
      `nothing was imported: ${problems.length} problem${problems.length === 1 ? '' : 's'} in the input\n` +
        problems
          .slice(0, 20)
          .map((p) => `  ${p.file}:${p.line}${p.path ? ` (${p.path})` : ''}: ${p.message}`)
          .join('\n') +
        (problems.length > 20 ? `\n  ... and ${problems.length - 20} more` : ''),
      ErrorCodes.ImportError,
    );
    this.name = 'ImportError';
  }
}

/** 1-based line of a character offset in a text. */
export function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}
