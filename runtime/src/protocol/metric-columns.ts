/**
 * Metric points as columns for postMessage: 100 000 points cost three arrays to copy and validate instead of
 * 100 000 objects (the difference decides how fast a long curve first shows). Point i is
 * (step[i], names[name[i]], value[i]).
 */
import { z } from 'zod';
import type { MetricPoint } from './dataset';

export const MetricColumns = z
  .object({
    names: z.array(z.string()),
    step: z.array(z.number().int()),
    name: z.array(z.number().int().nonnegative()),
    value: z.array(z.number()),
  })
  .refine((c) => c.step.length === c.name.length && c.step.length === c.value.length, 'step, name and value must have one entry per point')
  .refine((c) => c.name.every((i) => i < c.names.length), 'a name index points past the names');
export type MetricColumns = z.infer<typeof MetricColumns>;

export function toColumns(points: readonly MetricPoint[]): MetricColumns {
  const names: string[] = [];
  const index = new Map<string, number>();
  const columns: MetricColumns = { names, step: new Array(points.length), name: new Array(points.length), value: new Array(points.length) };
  points.forEach((p, i) => {
    let k = index.get(p.name);
    if (k === undefined) index.set(p.name, (k = names.push(p.name) - 1));
    columns.step[i] = p.step;
    columns.name[i] = k;
    columns.value[i] = p.value;
  });
  return columns;
}

export function fromColumns(c: MetricColumns): MetricPoint[] {
  return c.step.map((step, i) => ({ step, name: c.names[c.name[i]!]!, value: c.value[i]! }));
}
