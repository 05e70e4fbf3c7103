/**
 * One uPlot chart of one metric: per run a smoothed line over its raw line (same colour, faint), a legend whose
 * values follow the cursor (the latest values when the cursor is away), hover synchronised across charts.
 */
import uPlot from 'uplot';
import type { ChartTheme } from './theme';

export interface ChartRun {
  id: number;
  label: string;
  color: string;
}

const HEIGHT = 240;

export function formatValue(v: number | null | undefined): string {
  if (v === null || v === undefined) return '–';
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a >= 1e5 || a < 1e-3) ? v.toExponential(3) : String(Number(v.toPrecision(4)));
}

export class MetricChart {
  readonly element = document.createElement('section');
  private readonly plotBox = document.createElement('div');
  private readonly legend = document.createElement('div');
  private readonly stepLabel = document.createElement('span');
  private values: Array<{ smoothed: HTMLElement; raw: HTMLElement }> = [];
  private plot: uPlot | undefined;
  private runs: ChartRun[] = [];
  private config = '';
  private options: uPlot.Options | undefined;
  private data: uPlot.AlignedData = [[]];
  private width = 0;
  private readonly resizer: ResizeObserver;

  constructor(
    readonly metric: string,
    private readonly onDraw: () => void,
  ) {
    this.element.className = 'chart';
    this.element.dataset.metric = metric;
    const title = document.createElement('h3');
    title.className = 'chart-title';
    title.textContent = metric;
    this.legend.className = 'legend';
    this.plotBox.className = 'plot';
    this.element.append(title, this.legend, this.plotBox);
    this.resizer = new ResizeObserver(() => this.fit());
    this.resizer.observe(this.plotBox);
  }

  /** Series and scale; rebuilds the plot only when they changed. */
  configure(runs: ChartRun[], scale: 'linear' | 'log' | 'symlog', theme: ChartTheme, linearWithin = 1): void {
    const config = JSON.stringify([runs, scale, theme, scale === 'symlog' ? linearWithin : 0]);
    if (config === this.config) return;
    this.config = config;
    this.runs = runs;
    this.plot?.destroy();
    this.plot = undefined;
    this.buildLegend();
    const axis: uPlot.Axis = {
      stroke: theme.foreground,
      font: theme.font,
      grid: { stroke: theme.grid, width: 1 },
      ticks: { stroke: theme.grid, width: 1 },
    };
    const series: uPlot.Series[] = [{ label: 'step' }];
    for (const run of runs) {
      series.push({ label: `${run.label} raw`, stroke: run.color, alpha: 0.25, width: 1, spanGaps: true, points: { show: false } });
      series.push({ label: run.label, stroke: run.color, width: 1.75, spanGaps: true });
    }
    this.options = {
      width: this.width || Math.max(300, this.plotBox.clientWidth || 600),
      height: HEIGHT,
      legend: { show: false },
      cursor: { sync: { key: 'stephrl-curves' }, drag: { x: true, y: false } },
      scales: { x: { time: false }, y: scale === 'log' ? { distr: 3 } : scale === 'symlog' ? { distr: 4, asinh: linearWithin } : { distr: 1 } },
      axes: [{ ...axis }, { ...axis, size: 64 }],
      series,
      hooks: {
        setCursor: [(u) => this.showValues(u.cursor.idx)],
        draw: [() => this.onDraw()],
      },
    };
  }

  /** New data ([x, raw₁, smoothed₁, raw₂, smoothed₂...]): uPlot redraws. */
  setData(data: uPlot.AlignedData): void {
    this.data = data;
    if (!this.plot && this.options) {
      this.plot = new uPlot(this.options, data, this.plotBox);
    } else {
      this.plot?.setData(data);
    }
    if (this.plot?.cursor.idx == null) this.showValues(null);
  }

  /** The plot's canvas (PNG export). */
  get canvas(): HTMLCanvasElement | undefined {
    return this.plot?.ctx.canvas;
  }

  get legendRuns(): readonly ChartRun[] {
    return this.runs;
  }

  /** Values shown in the legend right now (smoothed and raw per run). */
  legendText(): Array<{ runId: number; smoothed: string; raw: string }> {
    return this.runs.map((run, i) => ({
      runId: run.id,
      smoothed: this.values[i]?.smoothed.textContent ?? '',
      raw: this.values[i]?.raw.textContent ?? '',
    }));
  }

  private buildLegend(): void {
    this.stepLabel.className = 'legend-step';
    const items = this.runs.map((run) => {
      const item = document.createElement('span');
      item.className = 'legend-item';
      item.dataset.runId = String(run.id);
      const swatch = document.createElement('span');
      swatch.className = 'swatch';
      swatch.style.backgroundColor = run.color;
      const name = document.createElement('span');
      name.className = 'legend-name';
      name.textContent = run.label;
      const smoothed = document.createElement('span');
      smoothed.className = 'legend-value';
      const raw = document.createElement('span');
      raw.className = 'legend-raw';
      item.append(swatch, name, smoothed, raw);
      return { item, smoothed, raw };
    });
    this.values = items;
    this.legend.replaceChildren(this.stepLabel, ...items.map((i) => i.item));
  }

  /** Legend values at a row (the cursor's), or each run's latest when there is none. */
  private showValues(idx: number | null | undefined): void {
    const data = this.data;
    const x = data[0] as ArrayLike<number>;
    this.runs.forEach((_, r) => {
      const raw = data[1 + 2 * r] as ArrayLike<number | null> | undefined;
      const smoothed = data[2 + 2 * r] as ArrayLike<number | null> | undefined;
      let i = idx ?? x.length - 1;
      if (idx == null) while (i > 0 && raw?.[i] == null) i--;
      const cell = this.values[r];
      if (!cell) return;
      cell.smoothed.textContent = formatValue(smoothed?.[i]);
      cell.raw.textContent = raw?.[i] == null ? '' : `raw ${formatValue(raw[i])}`;
    });
    const step = idx == null ? x[x.length - 1] : x[idx];
    this.stepLabel.textContent = step === undefined ? 'no data' : `step ${step}${idx == null ? ' (latest)' : ''}`;
  }

  private fit(): void {
    const width = Math.floor(this.plotBox.clientWidth);
    if (width <= 0 || width === this.width) return;
    this.width = width;
    if (this.options) this.options.width = width;
    this.plot?.setSize({ width, height: HEIGHT });
  }

  destroy(): void {
    this.resizer.disconnect();
    this.plot?.destroy();
    this.plot = undefined;
    this.element.remove();
  }
}
