/**
 * The demonstration annotator: move, split and merge subtask boundaries (mouse and keyboard), rename subtasks, edit
 * the local progress of each step, re-run the rule annotator on a range, mark the episode reviewed, undo and redo.
 * Every edit goes to the host, which stores it through the runtime (with its audit row); the view shows what the
 * runtime answers, and a refused edit's reason next to the controls. A queue leads to the next unreviewed episode.
 *
 * Keys (with a step selected): ↑/↓ select, Shift+↑/↓ extend the selection, S split here, M merge with the next
 * subtask, Alt+↑/↓ move the subtask's start, R re-annotate the selection, Ctrl+Z / Ctrl+Shift+Z undo / redo.
 */
import { LitElement, html, nothing, type TemplateResult } from 'lit';
import { live } from 'lit/directives/live.js';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import type { AnnotationEdit, EpisodeDetail } from '../../../runtime/src/protocol/dataset';
import type { ToView } from '../../../runtime/src/protocol/webview';
import type { Host } from '../shared/host';
import { reannotateRange } from './range';
import { annotatorStyles } from './annotator-styles';

type Annotate = Extract<ToView<'annotator'>, { type: 'annotate' }>;

export class AnnotatorView extends LitElement {
  static override styles = annotatorStyles;
  static override properties = {
    episode: { state: true },
    queue: { state: true },
    canUndo: { state: true },
    selected: { state: true },
    anchor: { state: true },
    error: { state: true },
    busy: { state: true },
  };
  declare episode: EpisodeDetail | null;
  declare queue: Annotate['queue'] | null;
  declare canUndo: boolean;
  /** The selected step, and the other end of a shift-selection. */
  declare selected: number | null;
  declare anchor: number | null;
  declare error: string | null;
  declare busy: boolean;
  /** Edits stored in this session (undo pops them onto the redo stack) and edits undone (redo sends them again). */
  private done: AnnotationEdit[] = [];
  private redoStack: AnnotationEdit[] = [];
  /** Requests the host has yet to answer, oldest first (the host stores them in order, one at a time). */
  private pending: Array<{ kind: 'edit'; edit: AnnotationEdit; fromRedo: boolean } | { kind: 'undo' }> = [];
  private wantSuggestion: { from: number; to: number } | null = null;

  constructor(private readonly host: Host<'annotator'>) {
    super();
    this.episode = null;
    this.queue = null;
    this.canUndo = false;
    this.selected = null;
    this.anchor = null;
    this.error = null;
    this.busy = false;
    host.onMessage((m) => this.receive(m));
    this.addEventListener('keydown', (e) => this.onKey(e));
  }

  private receive(m: ToView<'annotator'>): void {
    if (m.type === 'annotate') {
      const changed = this.episode?.id !== m.episode.id;
      this.episode = m.episode;
      this.queue = m.queue;
      this.canUndo = m.canUndo;
      this.busy = false;
      this.error = null;
      if (changed) {
        this.redoStack = [];
        this.done = [];
        this.pending = [];
        this.selected = null;
        this.anchor = null;
        this.host.saveState({ episodeIds: [m.episode.id] });
      }
    } else if (m.type === 'annotationSaved' && this.episode && m.annotations.episodeId === this.episode.id) {
      this.episode = { ...this.episode, subtasks: m.annotations.subtasks, progress: m.annotations.progress };
      this.canUndo = m.canUndo;
      const settled = this.pending.shift();
      if (settled?.kind === 'edit') {
        this.done.push(settled.edit);
        if (!settled.fromRedo) this.redoStack = [];
      } else if (settled?.kind === 'undo') {
        const undone = this.done.pop();
        if (undone) this.redoStack.push(undone);
      }
      this.busy = this.pending.length > 0;
      this.error = null;
    } else if (m.type === 'annotationRefused') {
      this.pending.shift();
      this.busy = this.pending.length > 0;
      this.error = m.message;
    } else if (m.type === 'suggestion' && this.episode && m.episodeId === this.episode.id && this.wantSuggestion) {
      const { from, to } = this.wantSuggestion;
      this.wantSuggestion = null;
      this.busy = false;
      const edits = reannotateRange(
        { subtasks: this.segments(), progress: new Map(this.episode.progress.map((p) => [p.step, p.text])) },
        m.suggestion,
        from,
        to,
      );
      if (!edits.length) this.error = `The rule annotator proposes what steps ${from}–${to} already have.`;
      for (const edit of edits) this.send(edit);
    }
  }

  private segments() {
    return [...(this.episode?.subtasks ?? [])]
      .sort((a, b) => a.firstStep - b.firstStep)
      .map(({ name, firstStep, lastStep }) => ({ name, firstStep, lastStep }));
  }

  /** Sends an edit; names are checked here first so a person sees the problem before anything is sent. */
  send(edit: AnnotationEdit, fromRedo = false): void {
    if (!this.episode) return;
    if ('name' in edit && edit.name !== undefined && !edit.name.trim()) {
      this.error = 'A subtask name cannot be empty.';
      this.requestUpdate(); // puts the stored name back in the field
      return;
    }
    this.error = null;
    this.busy = true;
    this.pending.push({ kind: 'edit', edit, fromRedo });
    this.host.post({ type: 'edit', episodeId: this.episode.id, edit });
  }

  undo(): void {
    if (!this.episode || !this.canUndo || this.busy) return;
    this.busy = true;
    this.pending.push({ kind: 'undo' });
    this.host.post({ type: 'undo', episodeId: this.episode.id });
  }

  redo(): void {
    if (this.busy) return;
    const edit = this.redoStack.pop();
    if (edit) this.send(edit, true);
  }

  private reannotate(): void {
    if (!this.episode || this.selected === null) return;
    const from = Math.min(this.selected, this.anchor ?? this.selected);
    const to = Math.max(this.selected, this.anchor ?? this.selected);
    this.wantSuggestion = { from, to };
    this.busy = true;
    this.host.post({ type: 'suggest', episodeId: this.episode.id });
  }

  private subtaskAt(step: number): number {
    return this.segments().findIndex((s) => step >= s.firstStep && step <= s.lastStep);
  }

  private splitAt(step: number): void {
    const i = this.subtaskAt(step);
    const s = this.segments()[i];
    if (!s || step <= s.firstStep) {
      this.error = `Step ${step} already starts a subtask: choose a step inside one to split there.`;
      return;
    }
    this.send({ op: 'split', subtask: i, atStep: step, name: `${s.name} (part 2)` });
  }

  private mergeWithNext(i: number): void {
    if (i < 0 || i >= this.segments().length - 1) {
      this.error = 'The last subtask has no next one to merge with.';
      return;
    }
    this.send({ op: 'merge', subtask: i });
  }

  /** Moves the start of subtask i (i ≥ 1) by delta steps: the boundary between i-1 and i. */
  private moveStart(i: number, delta: number): void {
    const s = this.segments()[i];
    if (!s || i === 0) {
      this.error = 'The first subtask always starts at step 0.';
      return;
    }
    this.send({ op: 'moveBoundary', subtask: i - 1, toStep: s.firstStep + delta });
  }

  private select(step: number, extend: boolean): void {
    if (!this.episode) return;
    const n = this.episode.steps.length;
    const clamped = Math.max(0, Math.min(n - 1, step));
    if (extend) this.anchor ??= this.selected ?? clamped;
    else this.anchor = null;
    this.selected = clamped;
    void this.updateComplete.then(() => this.renderRoot.querySelector(`[data-step="${clamped}"]`)?.scrollIntoView({ block: 'nearest' }));
  }

  private onKey(e: KeyboardEvent): void {
    const target = e.composedPath()[0] as HTMLElement;
    if (target && (target.tagName === 'INPUT' || target.tagName === 'TEXTAREA')) return; // typing in a field
    const mod = e.ctrlKey || e.metaKey;
    if (mod && e.key.toLowerCase() === 'z') {
      e.preventDefault();
      return e.shiftKey ? this.redo() : this.undo();
    }
    if (mod && e.key.toLowerCase() === 'y') {
      e.preventDefault();
      return this.redo();
    }
    if (this.selected === null) {
      if (e.key === 'ArrowDown') this.select(0, false);
      return;
    }
    const i = this.subtaskAt(this.selected);
    const handled = (() => {
      if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        const delta = e.key === 'ArrowDown' ? 1 : -1;
        if (e.altKey) this.moveStart(i, delta);
        else this.select(this.selected! + delta, e.shiftKey);
        return true;
      }
      const key = e.key.toLowerCase();
      if (key === 's') this.splitAt(this.selected!);
      else if (key === 'm') this.mergeWithNext(i);
      else if (key === 'r') this.reannotate();
      else return false;
      return true;
    })();
    if (handled) e.preventDefault();
  }

  private inSelection(step: number): boolean {
    if (this.selected === null) return false;
    const lo = Math.min(this.selected, this.anchor ?? this.selected);
    const hi = Math.max(this.selected, this.anchor ?? this.selected);
    return step >= lo && step <= hi;
  }

  override render(): TemplateResult {
    const e = this.episode;
    if (!e) return html`<p class="empty">Choose a demonstration (STEP-HRL: Annotate Demonstration, or Annotate on an episode).</p>`;
    const segments = [...e.subtasks].sort((a, b) => a.firstStep - b.firstStep);
    const progress = new Map(e.progress.map((p) => [p.step, p]));
    const reviewed = segments.length > 0 && segments.every((s) => s.reviewed);
    const range =
      this.selected === null
        ? ''
        : this.anchor !== null && this.anchor !== this.selected
          ? `steps ${Math.min(this.selected, this.anchor)}–${Math.max(this.selected, this.anchor)}`
          : `step ${this.selected}`;
    return html`
      <div class="toolbar" role="toolbar">
        <span class="title">#${e.id} ${e.env} ${e.task}${e.variation !== null ? ` v${e.variation}` : ''}</span>
        <vscode-badge class=${reviewed ? 'reviewed' : 'unreviewed'}>${reviewed ? 'reviewed' : 'not reviewed'}</vscode-badge>
        <vscode-button id="undo" secondary ?disabled=${!this.canUndo || this.busy} @click=${() => this.undo()} title="Undo (Ctrl+Z)">Undo</vscode-button>
        <vscode-button id="redo" secondary ?disabled=${!this.redoStack.length || this.busy} @click=${() => this.redo()} title="Redo (Ctrl+Shift+Z)">Redo</vscode-button>
        <vscode-button id="reannotate" secondary ?disabled=${this.selected === null || this.busy} @click=${() => this.reannotate()} title="Re-run the rule annotator on the selected steps (R)">Re-annotate ${range || 'selection'}</vscode-button>
        <vscode-button id="review" ?disabled=${this.busy} @click=${() => this.send({ op: 'review', reviewed: !reviewed })}>${reviewed ? 'Mark not reviewed' : 'Mark reviewed'}</vscode-button>
        ${
          this.queue
            ? html`<span class="queue">${this.queue.unreviewed} unreviewed</span>
              <vscode-button id="next" secondary ?disabled=${this.queue.next === null} @click=${() => this.host.post({ type: 'next' })}>Next unreviewed</vscode-button>`
            : nothing
        }
      </div>
      <div class="message ${this.error ? 'error' : ''}" role="status" aria-live="polite">${this.error ?? (this.busy ? 'Saving…' : '')}</div>
      <p class="task">${e.taskDescription}</p>
      <p class="help">Click a step to select it (Shift+click or Shift+↑/↓ for a range). S split here · M merge with next · Alt+↑/↓ move the subtask's start · R re-annotate the selection · Ctrl+Z / Ctrl+Shift+Z undo / redo.</p>
      <ol class="subtasks" tabindex="0">
        ${segments.map(
          (s, i) => html`<li class="subtask" data-subtask=${i}>
          <div class="subtask-head">
            <vscode-textfield class="name" aria-label="Name of subtask ${i + 1}" .value=${live(s.name)}
              @change=${(ev: Event) => this.rename(i, s.name, (ev.target as HTMLInputElement).value)}></vscode-textfield>
            <span class="meta">steps ${s.firstStep}–${s.lastStep} · ${s.provenance}${s.reviewed ? ' · reviewed' : ''}</span>
            ${
              i > 0
                ? html`<vscode-button class="move-up" secondary title="Start one step earlier (Alt+↑)" @click=${() => this.moveStart(i, -1)}>Start earlier</vscode-button>
              <vscode-button class="move-down" secondary title="Start one step later (Alt+↓)" @click=${() => this.moveStart(i, 1)}>Start later</vscode-button>`
                : nothing
            }
            ${i < segments.length - 1 ? html`<vscode-button class="merge" secondary title="Merge with the next subtask (M)" @click=${() => this.mergeWithNext(i)}>Merge with next</vscode-button>` : nothing}
          </div>
          <ol class="steps">
            ${e.steps.slice(s.firstStep, s.lastStep + 1).map(
              (st) => html`<li
              class="step ${this.inSelection(st.idx) ? 'selected' : ''} ${st.invalid ? 'invalid' : ''}"
              data-step=${st.idx}
              @click=${(ev: MouseEvent) => this.select(st.idx, ev.shiftKey)}>
              <span class="idx">${st.idx}</span>
              <code class="action">${st.action}</code>
              ${
                st.idx > s.firstStep
                  ? html`<vscode-button class="split" secondary title="Start a new subtask here (S)" @click=${(ev: Event) => {
                      ev.stopPropagation();
                      this.splitAt(st.idx);
                    }}>Split here</vscode-button>`
                  : nothing
              }
              <div class="observation">${st.observation}</div>
              <vscode-textfield class="progress" aria-label="Local progress after step ${st.idx}" .value=${live(progress.get(st.idx)?.text ?? '')}
                placeholder="local progress after this step"
                @change=${(ev: Event) => this.setProgress(st.idx, progress.get(st.idx)?.text ?? '', (ev.target as HTMLInputElement).value)}></vscode-textfield>
            </li>`,
            )}
          </ol>
        </li>`,
        )}
      </ol>
    `;
  }

  private rename(i: number, old: string, name: string): void {
    if (name === old) return;
    this.send({ op: 'rename', subtask: i, name });
  }

  private setProgress(step: number, old: string, text: string): void {
    if (text === old) return;
    this.send({ op: 'setProgress', step, text });
  }
}

customElements.define('stephrl-annotator', AnnotatorView);
