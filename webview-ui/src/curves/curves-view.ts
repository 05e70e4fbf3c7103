/**
 * Training curves: the metrics of one or more runs, streamed live by the host (`runs`, then `metricPoints` as they
 * are logged). One chart per picked metric, one colour per run: the EMA-smoothed line over the faint raw one, a
 * legend with the values under the cursor, log scale, CSV and PNG export. Picked metrics, smoothing, log scale and
 * the metric filter survive reloads (Host.saveState); the host reselects the runs.
 *
 * Rendered in the light DOM: uPlot's stylesheet (bundled into main.css) must reach the charts. Appends are batched
 * per animation frame and only the charts of runs that changed are redrawn, with O(new points) work before uPlot's
 * own setData.
 */
import { LitElement, html, nothing, type PropertyValues } from 'lit';
import { repeat } from 'lit/directives/repeat.js';
import 'uplot/dist/uPlot.min.css';
import './curves.css';
import type { MetricPoint, RunSummary } from '../../../runtime/src/protocol/dataset';
import type { ToView } from '../../../runtime/src/protocol/webview';
import { fromColumns } from '../../../runtime/src/protocol/metric-columns';
import type { Host } from '../shared/host';
import { Aligner } from './align';
import { MetricChart, type ChartRun } from './chart';
import { toCsv, type CsvSeries } from './csv';
import { chartsToPng } from './png';
import { SeriesStore, type Cell, type RunSeries } from './series-store';
import { EmaSmoother } from './smoothing';
import { defaultMetrics } from './default-metrics';
import { onThemeChange, readTheme, type ChartTheme } from './theme';

const MAX_RUNS = 32;
const DEFAULT_SMOOTHING = 0.6;

/** What the tests and the benchmark read (window-independent, no DOM parsing). */
export interface CurvesDebug {
  draws: number;
  lastFlushMs: number;
  charts: Array<{
    metric: string;
    points: number;
    scale: string;
    series: Array<{ runId: number; label: string; rows: number; lastRaw: Cell; lastSmoothed: Cell }>;
    legend: Array<{ runId: number; smoothed: string; raw: string }>;
  }>;
}

export class CurvesView extends LitElement {
  static override properties = {
    runs: { state: true },
    selected: { state: true },
    names: { state: true },
    picked: { state: true },
    smoothing: { state: true },
    logScale: { state: true },
    filter: { state: true },
  };
  declare runs: RunSummary[];
  declare selected: number[];
  /** Metric names logged by the selected runs. */
  declare names: string[];
  declare picked: string[];
  declare smoothing: number;
  declare logScale: boolean;
  declare filter: string;

  private readonly store = new SeriesStore();
  private readonly charts = new Map<string, MetricChart>();
  private readonly aligners = new Map<string, Aligner>();
  private readonly smoothers = new WeakMap<RunSeries, Map<string, EmaSmoother>>();
  private readonly scales = new Map<string, string>();
  private theme: ChartTheme | undefined;
  /** Runs with new points since the last flush; `everything` when colours, scale or smoothing changed. */
  private readonly dirty = new Set<number>();
  private everything = true;
  private frame = 0;
  private userPicked: boolean;
  private unsubscribe: (() => void) | undefined;
  private unwatchTheme: (() => void) | undefined;
  private draws = 0;
  private lastFlushMs = 0;

  constructor(private readonly channel: Host<'curves'>) {
    super();
    const saved = channel.state;
    this.runs = [];
    this.selected = saved.runIds ?? [];
    this.names = [];
    this.picked = saved.metrics ?? [];
    this.userPicked = saved.metrics !== undefined;
    this.smoothing = saved.smoothing ?? DEFAULT_SMOOTHING;
    this.logScale = saved.logScale ?? false;
    this.filter = saved.filter ?? '';
  }

  protected override createRenderRoot(): HTMLElement {
    return this;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.unsubscribe ??= this.channel.onMessage((m) => this.receive(m));
    this.unwatchTheme ??= onThemeChange(() => {
      this.theme = undefined;
      this.invalidateAll();
    });
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.unsubscribe?.();
    this.unwatchTheme?.();
    this.unsubscribe = this.unwatchTheme = undefined;
    cancelAnimationFrame(this.frame);
    this.frame = 0;
  }

  private receive(m: ToView<'curves'>): void {
    if (m.type === 'runs') {
      this.runs = m.runs;
      if (m.selected.join() !== this.selected.join()) {
        this.selected = m.selected.slice(0, MAX_RUNS);
        this.selectionChanged();
      }
    } else if (m.type === 'metricPoints') {
      this.addPoints(m.runId, fromColumns(m.columns), m.reset);
    }
  }

  private addPoints(runId: number, points: MetricPoint[], reset: boolean): void {
    if (!this.selected.includes(runId)) return;
    const added = this.store.append(runId, points, reset);
    if (added.length || reset) this.refreshNames();
    this.dirty.add(runId);
    this.schedule();
  }

  private refreshNames(): void {
    this.names = this.store.names(this.selected);
    if (!this.userPicked && this.names.length) {
      this.picked = defaultMetrics(this.names);
    }
  }

  private selectionChanged(): void {
    this.store.retain(this.selected);
    this.refreshNames();
    this.invalidateAll();
  }

  private invalidateAll(): void {
    this.everything = true;
    this.schedule();
  }

  private schedule(): void {
    if (!this.frame) this.frame = requestAnimationFrame(() => this.flush());
  }

  private saveState(): void {
    this.channel.saveState({ runIds: this.selected, metrics: this.picked, smoothing: this.smoothing, logScale: this.logScale, filter: this.filter });
  }

  // ----- charts

  /** The picked metrics that some selected run has logged (a restored pick shows once its data does). */
  private get shownMetrics(): string[] {
    return this.picked.filter((m) => this.names.includes(m));
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    const shown = new Set(this.shownMetrics);
    for (const [metric, chart] of this.charts) {
      if (shown.has(metric)) continue;
      chart.destroy();
      this.charts.delete(metric);
      this.aligners.delete(metric);
      this.scales.delete(metric);
    }
    for (const metric of shown) {
      if (!this.charts.has(metric)) {
        this.charts.set(metric, new MetricChart(metric, () => undefined));
        this.everything = true;
      }
    }
    if (changed.has('smoothing') || changed.has('logScale') || changed.has('selected') || changed.has('runs')) this.everything = true;
    if (this.everything) this.schedule();
  }

  private runLabel(id: number): string {
    const run = this.runs.find((r) => r.id === id);
    return run ? `#${id} ${run.name}` : `#${id}`;
  }

  private smoothed(run: RunSeries, metric: string): Cell[] {
    let byMetric = this.smoothers.get(run);
    if (!byMetric) this.smoothers.set(run, (byMetric = new Map()));
    let smoother = byMetric.get(metric);
    if (!smoother || smoother.weight !== this.smoothing) byMetric.set(metric, (smoother = new EmaSmoother(this.smoothing)));
    return smoother.update(run.column(metric), run.rev);
  }

  /** Redraws the charts whose data changed (at most once per frame). */
  private flush(): void {
    this.frame = 0;
    const started = performance.now();
    const theme = (this.theme ??= readTheme());
    const everything = this.everything;
    this.everything = false;
    for (const [metric, chart] of this.charts) {
      const members = this.selected
        .map((id, i) => ({ id, color: theme.palette[i % theme.palette.length]!, series: this.store.get(id) }))
        .filter((m): m is { id: number; color: string; series: RunSeries } => !!m.series?.has(metric));
      if (!everything && !members.some((m) => this.dirty.has(m.id))) continue;
      const runs: ChartRun[] = members.map((m) => ({ id: m.id, label: this.runLabel(m.id), color: m.color }));
      const positive = members.every((m) => m.series.allPositive(metric));
      const scale = this.logScale ? (positive ? 'log' : 'symlog') : 'linear';
      this.scales.set(metric, scale);
      // Symmetric log: linear within 1% of the largest magnitude (to its decade, so that it rarely changes).
      const largest = Math.max(0, ...members.map((m) => m.series.maxAbs(metric)));
      const linear = largest > 0 ? 10 ** (Math.floor(Math.log10(largest)) - 2) : 1;
      chart.configure(runs, scale, theme, linear);
      const columns = members.map((m) => [m.series.column(metric), this.smoothed(m.series, metric)] as const);
      if (members.length === 1) {
        chart.setData([members[0]!.series.steps, columns[0]![0], columns[0]![1]] as never);
      } else {
        let aligner = this.aligners.get(metric);
        if (!aligner) this.aligners.set(metric, (aligner = new Aligner()));
        if (everything) aligner.invalidate();
        const aligned = aligner.update(members.map((m, i) => ({ source: m.series, rev: m.series.rev, steps: m.series.steps, columns: columns[i]! })));
        chart.setData([aligned.x, ...aligned.columns.flat()] as never);
      }
    }
    this.dirty.clear();
    // uPlot draws in a microtask queued by setData: this one runs after it, when the canvases show the new data.
    queueMicrotask(() => {
      this.draws++;
      this.lastFlushMs = performance.now() - started;
      this.dispatchEvent(new CustomEvent('curves-drawn', { detail: { ms: this.lastFlushMs, draws: this.draws } }));
    });
  }

  /** For tests and the benchmark: what each chart shows. */
  debugInfo(): CurvesDebug {
    return {
      draws: this.draws,
      lastFlushMs: this.lastFlushMs,
      charts: this.shownMetrics
        .flatMap((metric) => {
          const chart = this.charts.get(metric);
          return chart ? [[metric, chart] as const] : [];
        })
        .map(([metric, chart]) => ({
          metric,
          scale: this.scales.get(metric) ?? 'linear',
          points: this.selected.reduce((n, id) => Math.max(n, this.store.get(id)?.steps.length ?? 0), 0),
          series: chart.legendRuns.map((r) => {
            const run = this.store.get(r.id)!;
            const raw = run.column(metric);
            const smoothed = this.smoothed(run, metric);
            return {
              runId: r.id,
              label: r.label,
              rows: raw.length,
              lastRaw: raw[raw.length - 1] ?? null,
              lastSmoothed: smoothed[smoothed.length - 1] ?? null,
            };
          }),
          legend: chart.legendText(),
        })),
    };
  }

  // ----- controls

  private toggleRun(id: number, on: boolean): void {
    const next = on ? [...this.selected, id].slice(0, MAX_RUNS) : this.selected.filter((r) => r !== id);
    this.selected = next;
    this.selectionChanged();
    this.channel.post({ type: 'selectRuns', runIds: next });
    this.saveState();
  }

  private toggleMetric(name: string, on: boolean): void {
    this.userPicked = true;
    this.picked = on ? [...this.picked.filter((m) => m !== name), name] : this.picked.filter((m) => m !== name);
    this.saveState();
  }

  private exportCsv(): void {
    const series: CsvSeries[] = [];
    for (const metric of this.shownMetrics) {
      for (const id of this.selected) {
        const run = this.store.get(id);
        if (!run?.has(metric)) continue;
        series.push({
          runId: id,
          runName: this.runs.find((r) => r.id === id)?.name ?? '',
          metric,
          steps: run.steps,
          raw: run.column(metric),
          smoothed: this.smoothed(run, metric),
        });
      }
    }
    this.channel.post({ type: 'saveFile', format: 'csv', suggestedName: `${this.fileStem()}.csv`, data: toCsv(series) });
  }

  private exportPng(): void {
    const charts = this.shownMetrics.flatMap((metric) => {
      const chart = this.charts.get(metric);
      return chart?.canvas ? [{ metric, runs: chart.legendRuns, canvas: chart.canvas }] : [];
    });
    if (!charts.length) return;
    this.channel.post({
      type: 'saveFile',
      format: 'png',
      suggestedName: `${this.fileStem()}.png`,
      data: chartsToPng(charts, this.theme ?? readTheme()),
    });
  }

  private fileStem(): string {
    return `training-curves-${this.selected.slice(0, 8).join('-') || 'none'}`;
  }

  // ----- view

  override render() {
    const shown = this.shownMetrics;
    const filter = this.filter.trim().toLowerCase();
    const names = filter ? this.names.filter((n) => n.toLowerCase().includes(filter) || this.picked.includes(n)) : this.names;
    return html`
      <div class="curves">
        <aside class="sidebar">
          <h2>Runs</h2>
          ${
            this.runs.length
              ? html`<ul class="run-list">
                ${this.runs.map(
                  (run) => html`<li>
                    <label title=${`${run.kind} run ${run.id}, ${run.status}, started ${run.startedAt}`}>
                      <input
                        type="checkbox"
                        class="run-toggle"
                        data-run-id=${run.id}
                        .checked=${this.selected.includes(run.id)}
                        ?disabled=${!this.selected.includes(run.id) && this.selected.length >= MAX_RUNS}
                        @change=${(e: Event) => this.toggleRun(run.id, (e.target as HTMLInputElement).checked)}
                      />
                      <span class="run-name">#${run.id} ${run.name}</span>
                      <span class="badge">${run.kind}</span>
                      ${run.status === 'running' ? html`<span class="badge live">live</span>` : run.status !== 'complete' ? html`<span class="badge">${run.status}</span>` : nothing}
                    </label>
                  </li>`,
                )}
              </ul>`
              : html`<p class="hint">No runs with metrics yet: train a model and its losses appear here as they are logged.</p>`
          }
          <h2>Metrics</h2>
          <input
            type="search"
            class="metric-filter"
            placeholder="Filter metrics"
            aria-label="Filter metrics"
            .value=${this.filter}
            @input=${(e: Event) => (this.filter = (e.target as HTMLInputElement).value)}
            @change=${() => this.saveState()}
          />
          <ul class="metric-list">
            ${names.map(
              (name) => html`<li>
                <label>
                  <input
                    type="checkbox"
                    class="metric-toggle"
                    data-metric=${name}
                    .checked=${this.picked.includes(name)}
                    @change=${(e: Event) => this.toggleMetric(name, (e.target as HTMLInputElement).checked)}
                  />
                  ${name}
                </label>
              </li>`,
            )}
          </ul>
          ${this.selected.length && !this.names.length ? html`<p class="hint">Waiting for metrics…</p>` : nothing}
        </aside>
        <div class="main">
          <div class="toolbar">
            <label class="smoothing">
              Smoothing
              <input
                type="range"
                class="smoothing-slider"
                min="0"
                max="0.99"
                step="0.01"
                .value=${String(this.smoothing)}
                @input=${(e: Event) => (this.smoothing = Number((e.target as HTMLInputElement).value))}
                @change=${() => this.saveState()}
              />
              <span class="smoothing-value">${this.smoothing.toFixed(2)}</span>
            </label>
            <label>
              <input
                type="checkbox"
                class="log-toggle"
                .checked=${this.logScale}
                @change=${(e: Event) => {
                  this.logScale = (e.target as HTMLInputElement).checked;
                  this.saveState();
                }}
              />
              Log scale
            </label>
            <span class="spacer"></span>
            <button class="export-csv" ?disabled=${!shown.length} @click=${() => this.exportCsv()}>Export CSV</button>
            <button class="export-png secondary" ?disabled=${!shown.length} @click=${() => this.exportPng()}>Export PNG</button>
          </div>
          ${
            !this.selected.length
              ? html`<p class="hint">Pick one or more runs to plot their metrics.</p>`
              : !shown.length && this.names.length
                ? html`<p class="hint">Pick the metrics to plot.</p>`
                : nothing
          }
          <div class="charts">${repeat(
            shown,
            (m) => m,
            (m) => this.charts.get(m)?.element ?? nothing,
          )}</div>
        </div>
      </div>
    `;
  }
}

customElements.define('stephrl-curves', CurvesView);
