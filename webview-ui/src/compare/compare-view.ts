/**
 * Runs side by side: one row per evaluation run (agent and adapter, episodes done of those planned, success or score
 * with its 95% interval, invalid actions, steps, prompt tokens per episode and per decision, cached share), the best
 * value of each column marked, then one row per task. "Common episodes only" restricts every row to the games or
 * variations all runs played; the table copies as CSV. The host sends the comparison (`runs/compare`) and sends it
 * again on Refresh.
 */
import { LitElement, html, nothing } from 'lit';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import './compare.css';
import type { RunComparison } from '../../../runtime/src/protocol/agent';
import { COMPARISON_COLUMNS, bestRuns, figuresOf, runLabel, taskRows } from '../../../runtime/src/protocol/comparison';
import type { ToView } from '../../../runtime/src/protocol/webview';
import type { Host } from '../shared/host';
import { comparisonCsv } from './csv';

export class CompareView extends LitElement {
  static override properties = {
    comparison: { state: true },
    error: { state: true },
    commonOnly: { state: true },
    loading: { state: true },
  };
  declare comparison: RunComparison | null;
  declare error: string | null;
  declare commonOnly: boolean;
  declare loading: boolean;
  private unsubscribe: (() => void) | undefined;

  constructor(private readonly channel: Host<'compare'>) {
    super();
    this.comparison = null;
    this.error = null;
    this.commonOnly = channel.state.commonOnly ?? false;
    this.loading = true;
  }

  protected override createRenderRoot(): HTMLElement {
    return this;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.unsubscribe ??= this.channel.onMessage((m) => this.receive(m));
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  private receive(m: ToView<'compare'>): void {
    this.loading = false;
    this.comparison = m.comparison;
    this.error = m.error ?? null;
    if (m.comparison) this.channel.saveState({ runIds: m.comparison.runs.map((r) => r.runId), commonOnly: this.commonOnly });
  }

  private setCommonOnly(on: boolean): void {
    this.commonOnly = on;
    this.channel.saveState({ commonOnly: on });
  }

  private refresh(): void {
    this.loading = true;
    this.channel.post({ type: 'refresh' });
  }

  private copyCsv(): void {
    if (this.comparison) this.channel.post({ type: 'copy', text: comparisonCsv(this.comparison, this.commonOnly) });
  }

  override render() {
    const c = this.comparison;
    return html`
      <div class="compare">
        <div class="toolbar">
          <h1>Runs side by side</h1>
          <label class="common-toggle" title="Figures over only the games or variations every run played">
            <input
              type="checkbox"
              class="common-only"
              .checked=${this.commonOnly}
              ?disabled=${!c}
              @change=${(e: Event) => this.setCommonOnly((e.target as HTMLInputElement).checked)}
            />
            Common episodes only${c ? ` (${c.common.episodes})` : ''}
          </label>
          <span class="spacer"></span>
          <vscode-button class="refresh" secondary ?disabled=${this.loading} @click=${() => this.refresh()}>Refresh</vscode-button>
          <vscode-button class="copy-csv" ?disabled=${!c} @click=${() => this.copyCsv()}>Copy CSV</vscode-button>
        </div>
        ${this.error ? html`<p class="error">${this.error}</p>` : nothing}
        ${!c ? (this.loading ? html`<p class="hint">Comparing…</p>` : nothing) : this.renderComparison(c)}
      </div>
    `;
  }

  private renderComparison(c: RunComparison) {
    const common = this.commonOnly;
    const best = COMPARISON_COLUMNS.map((column) => bestRuns(c.runs, column, common));
    const tasks = taskRows(c, common);
    const scope = common
      ? `Over the ${c.common.episodes} episode${c.common.episodes === 1 ? '' : 's'} every run played.`
      : `Over every episode of each run; ${c.common.episodes} in common.`;
    return html`
      <p class="scope">${scope}</p>
      ${c.notes.length ? html`<ul class="notes">${c.notes.map((n) => html`<li>${n}</li>`)}</ul>` : nothing}
      <div class="scroll">
        <table class="runs">
          <thead>
            <tr>
              <th>Run</th>
              <th>Agent · adapter</th>
              <th>Env, split</th>
              <th class="num">Episodes</th>
              ${COMPARISON_COLUMNS.map((col) => html`<th class="num" data-column=${col.key}>${col.label}</th>`)}
            </tr>
          </thead>
          <tbody>
            ${c.runs.map((run) => {
              const f = figuresOf(run, common);
              return html`<tr data-run-id=${run.runId}>
                <td class="num" title=${run.name}>#${run.runId}${run.status === 'running' ? html` <span class="badge">live</span>` : nothing}</td>
                <td title=${[run.model ?? '', run.adapter ?? 'no adapter', run.resumed.length ? `resumes run ${run.resumed.join(', ')}` : ''].filter(Boolean).join('\n')}>
                  ${runLabel(run)}
                </td>
                <td>${run.env} ${run.split}</td>
                <td class="num episodes">${common ? f.episodes : `${f.episodes} / ${run.planned ?? '?'}`}</td>
                ${COMPARISON_COLUMNS.map((col, i) => {
                  const isBest = best[i]!.has(run.runId);
                  return html`<td class="num ${isBest ? 'best' : ''}" data-column=${col.key} title=${isBest ? 'best of the compared runs' : ''}>
                    ${col.text(run, f)}
                  </td>`;
                })}
              </tr>`;
            })}
          </tbody>
        </table>
      </div>
      <h2>Per task</h2>
      ${
        tasks.length
          ? html`<div class="scroll"><table class="tasks">
            <thead>
              <tr>
                <th>Task</th>
                ${c.runs.map((run) => html`<th class="num" title=${runLabel(run)}>#${run.runId}</th>`)}
              </tr>
            </thead>
            <tbody>
              ${tasks.map(
                (t) => html`<tr data-task=${t.task}>
                  <td>${t.task}</td>
                  ${t.cells.map((cell) =>
                    cell
                      ? html`<td class="num ${cell.best ? 'best' : ''}" data-run-id=${cell.runId}>${cell.text}</td>`
                      : html`<td class="num missing">–</td>`,
                  )}
                </tr>`,
              )}
            </tbody>
          </table></div>`
          : html`<p class="hint">No episodes.</p>`
      }
      <p class="legend">
        Bold: the best of the compared runs. ALFWorld: success with its 95% Wilson interval, per task won/episodes; ScienceWorld: mean score
        (0–100) with its 95% interval. Tokens are prompt tokens; cached: the share served from the KV cache.
      </p>
    `;
  }
}

customElements.define('stephrl-compare', CompareView);
