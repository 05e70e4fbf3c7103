/**
 * A progress line on stderr for long CLI jobs: done/total, rate, ETA and failures. On a terminal it redraws in
 * place; in a log (CI, a file) it prints a line every 10% or 30 s so logs stay short.
 */
export class ProgressBar {
  private done = 0;
  private failed = 0;
  private readonly started = Date.now();
  private lastDraw = 0;
  private lastLoggedTenth = -1;
  private readonly tty: boolean;

  constructor(
    private readonly total: number,
    private readonly label: string,
    private readonly unit = 'episodes',
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {
    this.tty = Boolean(stream.isTTY) && process.env.CI !== 'true';
  }

  tick(ok = true): void {
    this.done++;
    if (!ok) this.failed++;
    this.draw();
  }

  private line(): string {
    const seconds = (Date.now() - this.started) / 1000;
    const rate = seconds > 0 ? this.done / seconds : 0;
    const left = rate > 0 ? (this.total - this.done) / rate : NaN;
    const share = this.total ? this.done / this.total : 1;
    const width = 24;
    const filled = Math.round(share * width);
    const bar = '#'.repeat(filled) + '-'.repeat(width - filled);
    const failures = this.failed ? `, ${this.failed} failed` : '';
    return `${this.label} [${bar}] ${this.done}/${this.total} ${(share * 100).toFixed(0)}% ${rateText(rate, this.unit)} ETA ${clock(left)}${failures}`;
  }

  private draw(): void {
    const now = Date.now();
    const finished = this.done >= this.total;
    if (this.tty) {
      if (!finished && now - this.lastDraw < 100) return;
      this.stream.write(`\r${this.line()}\x1b[K`);
    } else {
      const tenth = Math.floor((this.done / Math.max(1, this.total)) * 10);
      if (!finished && tenth === this.lastLoggedTenth && now - this.lastDraw < 30_000) return;
      this.lastLoggedTenth = tenth;
      this.stream.write(`${this.line()}\n`);
    }
    this.lastDraw = now;
  }

  /** Ends the line (terminal) so later output starts on a fresh one. */
  finish(): void {
    if (this.tty) this.stream.write(`\r${this.line()}\x1b[K\n`);
  }
}

function clock(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const mmss = `${String(m).padStart(h ? 2 : 1, '0')}:${String(s % 60).padStart(2, '0')}`;
  return h ? `${h}:${mmss}` : mmss;
}

/** "2.35 episodes/s", or per minute where fewer than one a second would read 0.00 (a CPU evaluation: 0.8/min). */
export function rateText(perSecond: number, unit: string): string {
  return perSecond >= 0.1 || perSecond === 0 ? `${perSecond.toFixed(2)} ${unit}/s` : `${(perSecond * 60).toFixed(2)} ${unit}/min`;
}
