/**
 * The annotator's host logic, free of VS Code so a test can drive it against the real runtime: stores the view's
 * edits one at a time, in the order sent (each with its audit row, by `actor`), answers with the annotations as
 * stored or the runtime's reason for refusing, and keeps the queue of annotated demonstrations not yet reviewed.
 */
import { ResponseError } from 'vscode-jsonrpc';
import type { AnnotationEdit, EpisodeAnnotations } from '../../../runtime/src/protocol/dataset';
import { ErrorCodes } from '../../../runtime/src/protocol/jsonrpc';
import type { RequestInput, RequestName, RequestResult } from '../../../runtime/src/protocol/rpc';
import type { ToHost, ToView } from '../../../runtime/src/protocol/webview';

export type RuntimeRequest = <N extends RequestName>(name: N, params: RequestInput<N>) => Promise<RequestResult<N>>;

/** Refusals that are the edit's fault (shown next to the control), not the runtime's. */
const REFUSALS = new Set<number>([ErrorCodes.InvalidEdit, ErrorCodes.InvalidParams]);

export interface AnnotatorSessionOptions {
  request: RuntimeRequest;
  post: (message: ToView<'annotator'>) => void;
  /** Who edits, for the audit trail (e.g. "user:alice"). */
  actor: string;
  /** The dataset file ({} for the runtime's default). */
  db: () => { db?: string };
  /** A runtime failure that is not the edit's fault (logged and shown by the caller). */
  onError: (what: string, error: unknown) => void;
  /** Says something to the person (no other unreviewed episode...). */
  inform: (text: string) => void;
}

export class AnnotatorSession {
  episodeId: number | undefined;
  /** Edits are stored strictly in the order the view sent them. */
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly o: AnnotatorSessionOptions) {}

  async handle(message: ToHost<'annotator'>): Promise<void> {
    const { request, post, actor, db } = this.o;
    if (message.type === 'ready') {
      if (this.episodeId !== undefined) await this.open(this.episodeId);
    } else if (message.type === 'edit') {
      this.enqueue(() => request('dataset/editAnnotation', { episodeId: message.episodeId, edit: message.edit, actor, ...db() }), message.edit);
    } else if (message.type === 'undo') {
      this.enqueue(() => request('dataset/undoAnnotation', { episodeId: message.episodeId, actor, ...db() }));
    } else if (message.type === 'suggest') {
      const suggestion = await request('dataset/suggestAnnotation', { episodeId: message.episodeId, ...db() });
      post({ type: 'suggestion', episodeId: message.episodeId, suggestion });
    } else if (message.type === 'next') {
      const next = await this.nextUnreviewed(this.episodeId);
      if (next === undefined) this.o.inform('No other unreviewed demonstration.');
      else await this.open(next);
    }
  }

  /** Resolves when every edit sent so far has been answered. */
  settled(): Promise<void> {
    return this.queue;
  }

  private enqueue(store: () => Promise<EpisodeAnnotations>, edit?: AnnotationEdit): void {
    this.queue = this.queue.then(async () => {
      try {
        const annotations = await store();
        this.o.post({ type: 'annotationSaved', annotations, canUndo: await this.canUndo(annotations.episodeId) });
        if (edit?.op === 'review') await this.open(annotations.episodeId); // the queue changed
      } catch (error) {
        if (error instanceof ResponseError && REFUSALS.has(error.code)) {
          this.o.post({ type: 'annotationRefused', message: error.message, ...(edit ? { edit } : {}) });
        } else {
          this.o.post({ type: 'annotationRefused', message: `Not saved: ${(error as Error).message}` });
          this.o.onError('Saving the annotation failed', error);
        }
      }
    });
  }

  async open(episodeId: number): Promise<void> {
    this.episodeId = episodeId;
    const { request, db } = this.o;
    const [episode, unreviewed, canUndo] = await Promise.all([
      request('dataset/getEpisode', { episodeId, ...db() }),
      this.unreviewedIds(),
      this.canUndo(episodeId),
    ]);
    this.o.post({
      type: 'annotate',
      episode,
      queue: { unreviewed: unreviewed.length, next: unreviewed.find((id) => id !== episodeId) ?? null },
      canUndo,
    });
  }

  /** Whether the episode has an edit undo would revert (not the first annotation, which would leave nothing). */
  private async canUndo(episodeId: number): Promise<boolean> {
    const { edits } = await this.o.request('dataset/annotationHistory', { episodeId, ...this.o.db() });
    const last = edits.filter((e) => e.operation !== 'undo' && e.undoneBy === null).at(-1);
    return last !== undefined && last.operation !== 'annotate';
  }

  /** Demonstrations (expert or human) with annotations nobody has reviewed, oldest first. */
  async unreviewedIds(): Promise<number[]> {
    const { request, db } = this.o;
    const [{ episodes: status }, { episodes }] = await Promise.all([
      request('dataset/annotationStatus', { ...db() }),
      request('dataset/listEpisodes', { ...db() }),
    ]);
    const demos = new Set(episodes.filter((e) => e.source !== 'policy').map((e) => e.id));
    return status
      .filter((e) => !e.reviewed && demos.has(e.episodeId))
      .map((e) => e.episodeId)
      .sort((a, b) => a - b);
  }

  /** The next unreviewed demonstration after `after` (wrapping around), or the first one. */
  async nextUnreviewed(after: number | undefined): Promise<number | undefined> {
    const ids = await this.unreviewedIds();
    return ids.find((id) => after === undefined || id > after) ?? ids.find((id) => id !== after);
  }
}
