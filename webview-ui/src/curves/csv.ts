/** CSV export of the plotted series: one row per logged value, with its smoothed value (long format). */
import type { Cell } from './series-store';

export interface CsvSeries {
  runId: number;
  runName: string;
  metric: string;
  steps: readonly number[];
  raw: readonly Cell[];
  smoothed: readonly Cell[];
}

export const CSV_HEADER = ['run_id', 'run_name', 'metric', 'step', 'value', 'smoothed'] as const;

/** Quotes a field when it holds a comma, quote or line break (RFC 4180); neutralises spreadsheet formulas. */
export function csvField(value: string | number): string {
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : value > 0 ? 'inf' : value < 0 ? '-inf' : 'nan';
  const text = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function toCsv(series: readonly CsvSeries[]): string {
  const lines = [CSV_HEADER.join(',')];
  for (const s of series) {
    const prefix = `${s.runId},${csvField(s.runName)},${csvField(s.metric)},`;
    for (let i = 0; i < s.steps.length; i++) {
      const value = s.raw[i];
      if (value === null || value === undefined) continue;
      const smoothed = s.smoothed[i];
      lines.push(`${prefix}${s.steps[i]},${csvField(value)},${smoothed === null || smoothed === undefined ? '' : csvField(smoothed)}`);
    }
  }
  return lines.join('\n') + '\n';
}
