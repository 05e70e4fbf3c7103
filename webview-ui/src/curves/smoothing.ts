/**
 * Exponential-moving-average smoothing as TensorBoard draws it: `last = last·w + (1−w)·v`, divided by the debias
 * factor `1 − w^n` (n = finite values so far) so that the start of a curve is not pulled towards 0. Non-finite values
 * pass through unsmoothed; nulls (steps where the metric was not logged) stay null and do not advance the average.
 *
 * `EmaSmoother` keeps its output and its state, so that appending k points costs O(k): it re-runs only from the
 * last row it had seen (whose value may have arrived after it last ran).
 */
import type { Cell } from './series-store';

/** The whole series at once (tests, exports). */
export function emaSmooth(values: readonly Cell[], weight: number): Cell[] {
  const smoother = new EmaSmoother(weight);
  return smoother.update(values, 0).slice();
}

export class EmaSmoother {
  /** Smoothed values, aligned to the input. */
  readonly out: Cell[] = [];
  private rev = -1;
  // The state before the last row processed: resuming there re-reads a row that may have changed.
  private lastBefore = 0;
  private powBefore = 1;

  constructor(readonly weight: number) {}

  /** Brings `out` up to date with `values`; `rev` changes when rows other than the last one changed. */
  update(values: readonly Cell[], rev: number): Cell[] {
    const w = this.weight;
    const out = this.out;
    let start = out.length - 1;
    if (rev !== this.rev || start < 0 || values.length < out.length) {
      out.length = 0;
      start = 0;
      this.lastBefore = 0;
      this.powBefore = 1;
      this.rev = rev;
    }
    let last = this.lastBefore;
    let pow = this.powBefore;
    const n = values.length;
    for (let i = start; i < n; i++) {
      if (i === n - 1) {
        this.lastBefore = last;
        this.powBefore = pow;
      }
      const v = values[i];
      if (v === null || v === undefined) {
        out[i] = null;
      } else if (!Number.isFinite(v)) {
        out[i] = v;
      } else {
        last = last * w + (1 - w) * v;
        pow *= w;
        out[i] = w === 1 ? last : last / (1 - pow);
      }
    }
    return out;
  }
}
