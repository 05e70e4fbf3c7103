/**
 * The episode inspector: an episode as a tree (task → subtasks → steps), each step with its action, observation,
 * reward and score, the local progress before and after with a word-level diff, and the model calls behind it.
 * Two episodes show side by side. Follows a running episode (the host resends it as it grows); search filters
 * steps; one click jumps to the first invalid action.
 */
import { LitElement, html, nothing, type TemplateResult } from 'lit';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import type { EpisodeDetail, ModelCallRecord } from '../../../runtime/src/protocol/dataset';
import type { CriticValue, EpisodeCriticValues } from '../../../runtime/src/protocol/trainer';
import type { Host } from '../shared/host';
import { wordDiff } from '../shared/word-diff';
import { episodeView, stepMatches, type EpisodeView, type StepView, type SubtaskView } from './episode-model';
import { inspectorStyles } from './inspector-styles';

const fmt = (x: number, digits = 2) => (Number.isInteger(x) ? String(x) : x.toFixed(digits));
const ms = (x: number) => (x >= 1000 ? `${(x / 1000).toFixed(1)} s` : `${Math.round(x)} ms`);

export class InspectorView extends LitElement {
  static override styles = inspectorStyles;
  static override properties = {
    views: { state: true },
    query: { state: true },
    highlight: { state: true },
    critics: { state: true },
  };
  declare views: EpisodeView[];
  declare query: string;
  declare highlight: string | null;
  /** The critics' values per episode id, when the host sent them. */
  declare critics: Map<number, EpisodeCriticValues & { pending?: boolean }>;
  /** Which collapsible parts are open, by key: kept across live updates and reloads of the data. */
  private readonly open = new Set<string>();

  constructor(private readonly host: Host<'inspector'>) {
    super();
    this.views = [];
    this.query = host.state.filter ?? '';
    this.highlight = null;
    this.critics = new Map();
    host.onMessage((m) => {
      if (m.type === 'criticValues') {
        this.critics = new Map(this.critics).set(m.values.episodeId, { ...m.values, pending: m.pending });
        return;
      }
      if (m.type !== 'episodes') return;
      const first = !this.views.length || this.views[0]!.episode.id !== m.episodes[0]!.id;
      this.views = m.episodes.map(episodeView);
      if (first) for (const v of this.views) for (const s of v.subtasks) this.open.add(this.key(v, `s${s.ordinal}`));
      host.saveState({ episodeIds: m.episodes.map((e) => e.id) });
    });
  }

  private key(v: EpisodeView, part: string): string {
    return `${v.episode.id}:${part}`;
  }

  private isOpen(v: EpisodeView, part: string): boolean {
    return this.open.has(this.key(v, part));
  }

  private toggled(v: EpisodeView, part: string, event: Event): void {
    const open = (event.target as HTMLDetailsElement).open;
    if (open === this.isOpen(v, part)) return;
    if (open) this.open.add(this.key(v, part));
    else this.open.delete(this.key(v, part));
    this.requestUpdate();
  }

  private search(event: Event): void {
    this.query = (event.target as HTMLInputElement).value;
    this.host.saveState({ filter: this.query });
  }

  /** Opens the first invalid step of the first episode that has one and scrolls to it. */
  async jumpToFirstInvalid(): Promise<void> {
    const v = this.views.find((x) => x.firstInvalidStep !== null);
    if (!v) return;
    const idx = v.firstInvalidStep!;
    const s = v.subtasks.find((x) => idx >= x.firstStep && idx <= x.lastStep);
    if (s) this.open.add(this.key(v, `s${s.ordinal}`));
    this.open.add(this.key(v, `t${idx}`));
    this.query = '';
    this.highlight = this.key(v, `t${idx}`);
    await this.updateComplete;
    this.renderRoot.querySelector(`[data-key="${this.highlight}"]`)?.scrollIntoView({ block: 'center' });
  }

  private expandAll(open: boolean): void {
    for (const v of this.views) {
      for (const s of v.subtasks) {
        const keys = [this.key(v, `s${s.ordinal}`), ...s.steps.map((st) => this.key(v, `t${st.idx}`))];
        for (const k of keys) {
          if (open) this.open.add(k);
          else this.open.delete(k);
        }
      }
    }
    this.requestUpdate();
  }

  override render(): TemplateResult {
    if (!this.views.length) return html`<p class="empty">Open an episode from the Datasets or Runs view (STEP-HRL: Open Inspector).</p>`;
    const invalid = this.views.some((v) => v.firstInvalidStep !== null);
    const main = this.views[0]!.episode;
    return html`
      <div class="toolbar" role="toolbar">
        <vscode-textfield class="search" placeholder="Filter steps (action, observation, progress)" .value=${this.query} @input=${this.search}></vscode-textfield>
        <vscode-button id="first-invalid" secondary ?disabled=${!invalid} @click=${() => this.jumpToFirstInvalid()}>First invalid action</vscode-button>
        <vscode-button id="expand" secondary @click=${() => this.expandAll(true)}>Expand all</vscode-button>
        <vscode-button id="collapse" secondary @click=${() => this.expandAll(false)}>Collapse all</vscode-button>
        <vscode-button id="critics" secondary title="Score the decisions with the critics of an offline-RL run" @click=${() => this.host.post({ type: 'pickCritics', episodeId: main.id })}>Critic values…</vscode-button>
        <vscode-button id="compare" secondary @click=${() => this.host.post({ type: 'compare', episodeId: main.id })}>Compare with…</vscode-button>
        ${
          main.source !== 'policy'
            ? html`<vscode-button id="annotate" secondary @click=${() => this.host.post({ type: 'openAnnotator', episodeId: main.id })}>Annotate</vscode-button>`
            : nothing
        }
      </div>
      <div class="columns columns-${this.views.length}">${this.views.map((v) => this.renderEpisode(v))}</div>
    `;
  }

  private renderEpisode(v: EpisodeView): TemplateResult {
    const e = v.episode;
    const matching = v.subtasks.map((s) => s.steps.filter((st) => stepMatches(st, this.query)));
    const shown = matching.reduce((n, m) => n + m.length, 0);
    return html`
      <section class="episode" data-episode=${e.id}>
        <header>
          <h1>${v.title}</h1>
          <div class="facts">
            <span class="status status-${e.status}">${e.status}${e.status === 'running' ? ' (live)' : ''}</span>
            <span>score <b>${fmt(e.score)}</b></span>
            <span class=${e.won ? 'won' : ''}>${e.won ? 'won' : 'not won'}</span>
            <span>${v.totals.steps} steps</span>
            <span class=${v.totals.invalid ? 'bad' : ''}>${v.totals.invalid} invalid</span>
            ${v.totals.tokens ? html`<span>${v.totals.tokens.toLocaleString('en')} tokens</span><span>${ms(v.totals.latencyMs)} in the model</span>` : nothing}
            <span>${e.source}${e.model ? html` · ${e.model.split('/').pop()}` : nothing}${e.adapter ? html` + <span title=${e.adapter}>${adapterLabel(e.adapter)}</span>` : nothing}</span>
          </div>
          <p class="task">${e.taskDescription}</p>
          ${this.criticsNote(e.id)}
          ${this.details(v, 'init', html`Initial observation`, html`<pre>${e.initialObservation}</pre>${e.initialLook ? html`<pre class="look">${e.initialLook}</pre>` : nothing}`)}
          ${this.query ? html`<p class="matches">${shown} of ${v.totals.steps} steps match</p>` : nothing}
        </header>
        <ol class="subtasks">
          ${v.subtasks.map((s, i) => (this.query && !matching[i]!.length ? nothing : this.renderSubtask(v, s, matching[i]!)))}
        </ol>
      </section>
    `;
  }

  private renderSubtask(v: EpisodeView, s: SubtaskView, steps: StepView[]): TemplateResult {
    const range = s.firstStep === s.lastStep ? `step ${s.firstStep}` : `steps ${s.firstStep}–${s.lastStep}`;
    return html`<li class="subtask" data-key=${this.key(v, `s${s.ordinal}`)}>
      ${this.details(
        v,
        `s${s.ordinal}`,
        html`<span class="subtask-name">${s.name}</span>
          <span class="meta">${range} · reward ${fmt(s.reward)} · ended: ${s.ended}</span>
          ${s.provenance ? html`<vscode-badge class="prov prov-${s.provenance}">${s.provenance}</vscode-badge>` : nothing}
          ${s.highCall ? html`<span class="meta">${this.callSummary(s.highCall)}</span>` : nothing}
          ${this.advantageTag(this.value(v, 'high', s.ordinal, null))}`,
        html`<ol class="steps">${steps.map((st) => this.renderStep(v, st))}</ol>`,
      )}
    </li>`;
  }

  private renderStep(v: EpisodeView, st: StepView): TemplateResult {
    const key = this.key(v, `t${st.idx}`);
    const classes = ['step', st.invalid ? 'invalid' : '', st.reward > 0 ? 'rewarded' : '', this.highlight === key ? 'highlight' : ''].join(' ');
    return html`<li class=${classes} data-key=${key} data-step=${st.idx}>
      ${this.details(
        v,
        `t${st.idx}`,
        html`<span class="idx">${st.idx}</span><code class="action">${st.action}</code>
          ${st.invalid ? html`<span class="tag bad">invalid</span>` : nothing}
          ${st.reward ? html`<span class="tag ${st.reward > 0 ? 'good' : 'bad'}">${st.reward > 0 ? '+' : ''}${fmt(st.reward)}</span>` : nothing}
          <span class="meta">score ${fmt(st.score)}${st.done ? ' · done' : ''}${st.tokens ? ` · ${st.tokens} tok · ${ms(st.latencyMs)}` : ''}</span>
          ${this.advantageTag(this.value(v, 'low', null, st.idx))}`,
        html`
          <div class="progress">
            <div class="label">Local progress</div>
            ${
              st.progressAfter === null
                ? html`<div class="diff none">(none recorded)</div>`
                : html`<div class="diff">${wordDiff(st.progressBefore, st.progressAfter).map((p) => html`<span class=${p.kind}>${p.text}</span>`)}</div>`
            }
          </div>
          ${this.valuesTable(v, st.idx)}
          <div class="label">Observation</div>
          <pre class="observation">${st.observation}</pre>
          ${st.look ? this.details(v, `l${st.idx}`, html`Look around`, html`<pre>${st.look}</pre>`) : nothing}
          ${st.inventory ? this.details(v, `i${st.idx}`, html`Inventory`, html`<pre>${st.inventory}</pre>`) : nothing}
          ${
            st.calls.length
              ? html`<table class="calls">
            <thead><tr><th>call</th><th>prompt tokens</th><th>cached</th><th>completion</th><th>latency</th></tr></thead>
            <tbody>${st.calls.map((c) => this.renderCall(v, st, c))}</tbody></table>`
              : nothing
          }
        `,
      )}
    </li>`;
  }

  private renderCall(v: EpisodeView, st: StepView, c: ModelCallRecord): TemplateResult {
    return html`<tr>
      <td>${c.role}</td><td>${c.promptTokens}</td><td>${c.cachedPromptTokens}</td><td>${c.completionTokens}</td><td>${ms(c.latencyMs)}</td>
    </tr>
    ${
      c.completion !== null
        ? html`<tr class="call-text"><td colspan="5">${this.details(v, `c${st.idx}${c.role}`, html`${c.role} prompt and output`, html`<pre>${c.prompt ?? ''}</pre><pre class="completion">${c.completion}</pre>`)}</td></tr>`
        : nothing
    }`;
  }

  private value(v: EpisodeView, role: CriticValue['role'], subtask: number | null, step: number | null): CriticValue | undefined {
    return this.critics.get(v.episode.id)?.values.find((x) => x.role === role && (role === 'high' ? x.subtask === subtask : x.step === step));
  }

  private advantageTag(value: CriticValue | undefined): TemplateResult | typeof nothing {
    if (value?.advantage === null || value?.advantage === undefined) return nothing;
    const a = value.advantage;
    return html`<span class="tag advantage ${a >= 0 ? 'good' : 'bad'}" title="advantage Q − V of this ${value.role}-level decision">A ${a >= 0 ? '+' : ''}${a.toFixed(3)}</span>`;
  }

  private valuesTable(v: EpisodeView, step: number): TemplateResult | typeof nothing {
    const rows = (['low', 'progress'] as const)
      .map((role) => this.value(v, role, null, step))
      .filter((x): x is CriticValue => x?.v !== null && x?.v !== undefined);
    if (!rows.length) return nothing;
    return html`<table class="calls values">
      <thead><tr><th>critic</th><th>V(s)</th><th>Q(s, a)</th><th>advantage</th></tr></thead>
      <tbody>${rows.map((r) => html`<tr><td>${r.role}</td><td>${r.v!.toFixed(4)}</td><td>${r.q!.toFixed(4)}</td><td class=${r.advantage! >= 0 ? 'good' : 'bad'}>${r.advantage!.toFixed(4)}</td></tr>`)}</tbody>
    </table>`;
  }

  private criticsNote(episodeId: number): TemplateResult | typeof nothing {
    const c = this.critics.get(episodeId);
    if (!c) return nothing;
    if (c.pending) return html`<p class="critics-note">Scoring the decisions with the critics${c.critics ? html` of ${c.critics}` : ''}…</p>`;
    if (c.reason) return html`<p class="critics-note">No critic values: ${c.reason}</p>`;
    return html`<p class="critics-note">Critic values from ${c.critics} (on ${c.baseModel?.split('/').pop()}): advantage A = Q − V per decision.</p>`;
  }

  private callSummary(c: ModelCallRecord): string {
    return `high level: ${c.promptTokens} + ${c.completionTokens} tok · ${ms(c.latencyMs)}`;
  }

  private details(v: EpisodeView, part: string, summary: TemplateResult, body: TemplateResult): TemplateResult {
    return html`<details ?open=${this.isOpen(v, part)} @toggle=${(e: Event) => this.toggled(v, part, e)}>
      <summary>${summary}</summary>
      ${this.isOpen(v, part) ? body : nothing}
    </details>`;
  }
}

customElements.define('stephrl-inspector', InspectorView);

export type { EpisodeDetail };

/** An adapter as a reader tells them apart: a shipped one by its name, a trained one by its run folder
 * (`bc-48/final/adapter.gguf`), not by the file name every adapter shares. */
function adapterLabel(file: string): string {
  const parts = file.split(/[\\/]/);
  const shipped = parts.lastIndexOf('adapters');
  if (shipped >= 0 && shipped === parts.length - 3) return parts[shipped + 1]!;
  return parts.slice(-3).join('/');
}
