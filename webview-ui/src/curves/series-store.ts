/**
 * Columnar storage of the metric points of the plotted runs: per run one array of steps (its x values, shared by
 * every metric of the run) and per metric one column of values aligned to it (null where the metric was not
 * logged at that step). Points arrive in log order, so appending is amortised O(1) per point; a point that lands
 * before the last row (out of order) bumps `rev`, which tells consumers to recompute from the start.
 */
import type { MetricPoint } from '../../../runtime/src/protocol/dataset';

export type Cell = number | null;

export class RunSeries {
  /** Distinct steps, ascending: the run's x values. */
  readonly steps: number[] = [];
  private readonly columns = new Map<string, Cell[]>();
  /** Names with at least one logged value (a column may exist empty, for a chart of a metric the run lacks). */
  private readonly logged = new Set<string>();
  private readonly nonPositive = new Set<string>();
  private readonly largest = new Map<string, number>();
  /** Bumped when a row other than the last changes (or rows are inserted): derived data must be rebuilt. */
  rev = 0;

  constructor(readonly runId: number) {}

  get names(): IterableIterator<string> {
    return this.logged.values();
  }

  has(name: string): boolean {
    return this.logged.has(name);
  }

  /** Appends points in log order; returns the metric names seen for the first time. */
  append(points: readonly MetricPoint[]): string[] {
    const added: string[] = [];
    const steps = this.steps;
    for (const { step, name, value } of points) {
      let row = steps.length - 1;
      if (row < 0 || step > steps[row]!) {
        steps.push(step);
        row++;
      } else if (step !== steps[row]) {
        row = this.rowOf(step);
      }
      let column = this.columns.get(name);
      if (!column) {
        column = [];
        this.columns.set(name, column);
      }
      if (!this.logged.has(name)) {
        this.logged.add(name);
        added.push(name);
      }
      while (column.length <= row) column.push(null);
      if (row < steps.length - 1 && column[row] !== value) this.rev++;
      column[row] = value;
      if (!(value > 0)) this.nonPositive.add(name);
      const magnitude = Math.abs(value);
      if (magnitude > (this.largest.get(name) ?? 0) && Number.isFinite(magnitude)) this.largest.set(name, magnitude);
    }
    return added;
  }

  /** The metric's values, one per step (padded with nulls up to the newest step). */
  column(name: string): Cell[] {
    let column = this.columns.get(name);
    if (!column) {
      column = [];
      this.columns.set(name, column);
    }
    while (column.length < this.steps.length) column.push(null);
    return column;
  }

  /** Whether every value logged for the metric is > 0 (a log scale can show it). */
  allPositive(name: string): boolean {
    return !this.nonPositive.has(name);
  }

  /** The largest finite |value| logged for the metric (0 when none). */
  maxAbs(name: string): number {
    return this.largest.get(name) ?? 0;
  }

  /** The row of a step before the last one, inserted when it is new (O(n): only for out-of-order points). */
  private rowOf(step: number): number {
    const steps = this.steps;
    let lo = 0;
    let hi = steps.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (steps[mid]! < step) lo = mid + 1;
      else hi = mid;
    }
    if (steps[lo] !== step) {
      steps.splice(lo, 0, step);
      for (const column of this.columns.values()) if (column.length > lo) column.splice(lo, 0, null);
      this.rev++;
    }
    return lo;
  }
}

/** The series of every plotted run, by run id. */
export class SeriesStore {
  private readonly runs = new Map<number, RunSeries>();

  get(runId: number): RunSeries | undefined {
    return this.runs.get(runId);
  }

  /** Appends points of a run (`reset` drops what was held for it first); returns the new metric names. */
  append(runId: number, points: readonly MetricPoint[], reset = false): string[] {
    let run = this.runs.get(runId);
    if (!run || reset) {
      run = new RunSeries(runId);
      this.runs.set(runId, run);
    }
    return run.append(points);
  }

  /** Keeps only these runs. */
  retain(runIds: readonly number[]): void {
    for (const id of [...this.runs.keys()]) if (!runIds.includes(id)) this.runs.delete(id);
  }

  /** Metric names of the given runs, sorted. */
  names(runIds: readonly number[]): string[] {
    const names = new Set<string>();
    for (const id of runIds) for (const name of this.runs.get(id)?.names ?? []) names.add(name);
    return [...names].sort();
  }
}
