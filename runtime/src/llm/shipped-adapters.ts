/**
 * Adapters that ship with the runtime (runtime/adapters/<name>/: adapter.gguf and its card): `--adapter alfworld`
 * anywhere an adapter file is accepted. A name is looked up only when no file of that name exists, so a path always
 * means the file.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ADAPTER_NAME, AdapterCard } from '../protocol/trainer';
import { projectRoot } from '../util/paths';
import { ModelError } from './types';

export const shippedAdaptersDir = path.join(projectRoot, 'runtime', 'adapters');

export interface ShippedAdapter extends AdapterCard {
  path: string;
  cardPath: string;
  sizeMb: number;
}

/** Every shipped adapter whose card reads and whose file is present, by name. */
export function listShippedAdapters(dir = shippedAdaptersDir): ShippedAdapter[] {
  if (!fs.existsSync(dir)) return [];
  const found: ShippedAdapter[] = [];
  for (const name of fs.readdirSync(dir).sort()) {
    const cardPath = path.join(dir, name, 'card.json');
    const file = path.join(dir, name, 'adapter.gguf');
    if (!fs.existsSync(cardPath) || !fs.existsSync(file)) continue;
    const card = AdapterCard.parse(JSON.parse(fs.readFileSync(cardPath, 'utf8')));
    if (card.name !== name) throw new ModelError(`${cardPath} names the adapter '${card.name}', but its folder is '${name}'`);
    found.push({ ...card, path: file, cardPath, sizeMb: Math.round((fs.statSync(file).size / 2 ** 20) * 10) / 10 });
  }
  return found;
}

/**
 * An adapter argument as a file: an existing path as given, else a shipped adapter's name, else an environment's name
 * standing for the one adapter shipped for it (`--adapter alfworld`); a clear error otherwise.
 */
export function resolveAdapter(given: string, dir = shippedAdaptersDir): { path: string; shipped: ShippedAdapter | null } {
  if (fs.existsSync(given) || !ADAPTER_NAME.test(given)) return { path: path.resolve(given), shipped: null };
  const all = listShippedAdapters(dir);
  const named = all.find((a) => a.name === given);
  if (named) return { path: named.path, shipped: named };
  const forEnv = all.filter((a) => a.env === given);
  if (forEnv.length === 1) return { path: forEnv[0]!.path, shipped: forEnv[0]! };
  const names = all.map((a) => a.name);
  throw new ModelError(
    forEnv.length > 1
      ? `several adapters are shipped for ${given}: name one (${forEnv.map((a) => a.name).join(', ')})`
      : `no adapter file '${given}' and no shipped adapter of that name (shipped: ${names.join(', ') || 'none'})`,
  );
}
