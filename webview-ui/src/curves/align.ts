/**
 * Several runs in one chart: uPlot wants one x array shared by every series, so the runs' step arrays are merged
 * into their union and each run's columns are spread over it (null where the run has no row at that step).
 * Incremental: rows appended after the union's last step are merged in O(new rows); anything else (a run reset, an
 * out-of-order row, smoothing changed) rebuilds the whole union once.
 */
import type { Cell } from './series-store';

export interface RunRows {
  /** Identity of the run's storage: a new object (after a reset) rebuilds. */
  source: object;
  /** Changes when rows other than the last one changed. */
  rev: number;
  steps: readonly number[];
  /** Columns aligned to `steps` (e.g. raw and smoothed). */
  columns: ReadonlyArray<readonly Cell[]>;
}

export class Aligner {
  x: number[] = [];
  /** Per run, its columns spread over `x`. */
  columns: Cell[][][] = [];
  private sources: object[] = [];
  private revs: number[] = [];
  private consumed: number[] = [];
  private lastRow: number[] = [];

  /** Forgets everything (e.g. the smoothing changed every smoothed value). */
  invalidate(): void {
    this.sources = [];
  }

  update(runs: readonly RunRows[]): { x: number[]; columns: Cell[][][] } {
    if (this.mustRebuild(runs)) this.reset(runs);
    const x = this.x;
    // The last row merged may have gained values since (a metric logged after the others of its step).
    runs.forEach((run, r) => {
      const row = this.consumed[r]! - 1;
      if (row >= 0) run.columns.forEach((column, c) => (this.columns[r]![c]![this.lastRow[r]!] = column[row] ?? null));
    });
    const ptr = this.consumed.slice();
    for (;;) {
      let min = Infinity;
      runs.forEach((run, r) => {
        const step = run.steps[ptr[r]!];
        if (step !== undefined && step < min) min = step;
      });
      if (min === Infinity) break;
      let row = x.length - 1;
      if (row < 0 || min !== x[row]) {
        x.push(min);
        row++;
        for (const cols of this.columns) for (const col of cols) col.push(null);
      }
      runs.forEach((run, r) => {
        const i = ptr[r]!;
        if (run.steps[i] !== min) return;
        run.columns.forEach((column, c) => (this.columns[r]![c]![row] = column[i] ?? null));
        this.lastRow[r] = row;
        ptr[r] = i + 1;
      });
    }
    this.consumed = ptr;
    return { x, columns: this.columns };
  }

  private mustRebuild(runs: readonly RunRows[]): boolean {
    if (runs.length !== this.sources.length) return true;
    const last = this.x[this.x.length - 1];
    return runs.some((run, r) => {
      if (run.source !== this.sources[r] || run.rev !== this.revs[r] || run.steps.length < this.consumed[r]!) return true;
      const next = run.steps[this.consumed[r]!];
      return next !== undefined && last !== undefined && next < last;
    });
  }

  private reset(runs: readonly RunRows[]): void {
    this.x = [];
    this.columns = runs.map((run) => run.columns.map(() => []));
    this.sources = runs.map((run) => run.source);
    this.revs = runs.map((run) => run.rev);
    this.consumed = runs.map(() => 0);
    this.lastRow = runs.map(() => -1);
  }
}
