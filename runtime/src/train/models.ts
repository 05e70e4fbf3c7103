/**
 * What the Models view lists: base models (GGUF files in the models folder, plus any the caller names), the adapters
 * that ship with the runtime (with their cards), and the adapters training runs exported, with the run that made each one.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DatasetStore } from '../store/dataset-store';
import type { ModelList } from '../protocol/trainer';
import { defaultModelPath, stateDir } from '../util/paths';
import { listShippedAdapters } from '../llm/shipped-adapters';

export async function listModels(store: DatasetStore | null, extra: readonly string[] = []): Promise<ModelList> {
  const folder = path.join(stateDir, 'models');
  const files = new Set<string>();
  if (fs.existsSync(folder)) for (const f of fs.readdirSync(folder)) if (f.endsWith('.gguf')) files.add(path.join(folder, f));
  for (const f of [process.env.STEPHRL_MODEL, ...extra]) if (f && fs.existsSync(f)) files.add(path.resolve(f));
  const baseModels = [...files].sort().map((file) => ({
    path: file,
    name: path.basename(file),
    sizeMb: Math.round(fs.statSync(file).size / 2 ** 20),
    isDefault: file === path.resolve(process.env.STEPHRL_MODEL ?? defaultModelPath),
  }));
  const rows = !store
    ? []
    : await store.db.all<{ path: string; run_id: number; name: string; status: string; config: string; created_at: string }>(
        `SELECT c.path, c.run_id, r.name, r.status, r.config, c.created_at FROM checkpoints c JOIN runs r ON r.id = c.run_id
     WHERE c.kind = 'gguf-adapter' ORDER BY c.id DESC`,
      );
  const adapters = [];
  for (const row of rows) {
    if (!fs.existsSync(row.path)) continue; // deleted by hand: nothing to offer
    const config = JSON.parse(row.config) as { kind?: string; model?: string };
    adapters.push({
      path: row.path,
      runId: row.run_id,
      runName: row.name,
      runStatus: row.status,
      kind: config.kind === 'rl' ? ('rl' as const) : ('bc' as const),
      baseModel: config.model ?? null,
      createdAt: row.created_at,
      // The figures of the step the adapter was taken from, not the run's last step.
      metrics: await store!.runs.latestMetrics(row.run_id, await store!.runs.adapterStep(row.run_id)),
    });
  }
  return { shipped: listShippedAdapters(), baseModels, adapters };
}
