/** PNG export: the charts' canvases stacked on one canvas, each under its metric name and legend, theme background. */
import type { ChartRun } from './chart';
import type { ChartTheme } from './theme';

export interface PngChart {
  metric: string;
  runs: readonly ChartRun[];
  canvas: HTMLCanvasElement;
}

export function chartsToPng(charts: readonly PngChart[], theme: ChartTheme): string {
  const scale = window.devicePixelRatio || 1;
  const pad = Math.round(12 * scale);
  const line = Math.round(18 * scale);
  const width = Math.max(1, ...charts.map((c) => c.canvas.width)) + 2 * pad;
  const height = charts.reduce((h, c) => h + 2 * line + c.canvas.height + pad, pad);
  const out = document.createElement('canvas');
  out.width = width;
  out.height = height;
  const ctx = out.getContext('2d')!;
  ctx.fillStyle = theme.background;
  ctx.fillRect(0, 0, width, height);
  ctx.textBaseline = 'top';
  const family = theme.font.replace(/^\d+px\s*/, '');
  let y = pad;
  for (const chart of charts) {
    ctx.fillStyle = theme.foreground;
    ctx.font = `600 ${Math.round(13 * scale)}px ${family}`;
    ctx.fillText(chart.metric, pad, y);
    y += line;
    ctx.font = `${Math.round(11 * scale)}px ${family}`;
    let x = pad;
    for (const run of chart.runs) {
      ctx.fillStyle = run.color;
      ctx.fillRect(x, y + 3 * scale, 10 * scale, 3 * scale);
      x += 14 * scale;
      ctx.fillStyle = theme.foreground;
      ctx.fillText(run.label, x, y);
      x += ctx.measureText(run.label).width + 16 * scale;
    }
    y += line;
    ctx.drawImage(chart.canvas, pad, y);
    y += chart.canvas.height + pad;
  }
  return out.toDataURL('image/png');
}
