/** `stephrl models list`: base models, shipped adapters (with their cards' scores) and trained adapters. */
import type { Command } from 'commander';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DatasetStore, defaultDatasetPath } from '../store/dataset-store';
import { listModels } from '../train/models';
import type { ModelList } from '../protocol/trainer';
import { formatSuccess } from '../evaluate/intervals';
import { printJson } from './output';
import { withStore } from './dataset-commands';
import { shipAdapter } from '../train/ship-adapter';
import { ADAPTER_NAME } from '../protocol/trainer';
import { UsageError } from './episode-args';
import { plural } from '../util/plural';

export function registerModelsCommand(program: Command): void {
  const models = program.command('models').description('base models and adapters: what the agents can run');
  models
    .command('list')
    .description('base models, the adapters that ship with the runtime (load one with --adapter <name>) and the adapters training exported')
    .option('--db <path>', 'dataset file whose training runs to list (default: $STEPHRL_DB or ./.stephrl/stephrl.db)')
    .option('--model <path>', 'also list this base model file')
    .option('--json', 'print the list as JSON')
    .action(async (o: { db?: string; model?: string; json?: boolean }) => {
      // Listing reads: a dataset that does not exist is not created.
      const file = path.resolve(o.db ?? defaultDatasetPath());
      const store = fs.existsSync(file) ? await DatasetStore.open(file) : null;
      try {
        const list = await listModels(store, o.model ? [o.model] : []);
        if (o.json) printJson(list);
        else console.log(modelsTable(list));
      } finally {
        await store?.close();
      }
    });
  models
    .command('ship <name>')
    .description(
      'make an adapter a training run exported into a shipped one (runtime/adapters/<name>: the file and a card written from the dataset: data, command, the adapter it started from (its hash and card), steps, training time, every evaluation of that file with its interval)',
    )
    .requiredOption('--adapter <file>', 'the adapter.gguf a training run in the dataset exported')
    .requiredOption('--title <text>', "the card's one-line title")
    .option('--db <path>', 'the dataset that trained and evaluated it (default: $STEPHRL_DB or ./.stephrl/stephrl.db)')
    .option('--dir <dir>', 'where shipped adapters live (default: runtime/adapters)')
    .option('--machine <text>', 'the machine it trained on (default: this one)')
    .option('--json', 'print the card as JSON')
    .action(async (name: string, o: { adapter: string; title: string; db?: string; dir?: string; machine?: string; json?: boolean }) => {
      if (!ADAPTER_NAME.test(name)) throw new UsageError(`an adapter name is lower-case letters, digits and dashes, not '${name}'`);
      await withStore(o.db, async (store) => {
        const shipped = await shipAdapter(store, {
          name,
          adapter: o.adapter,
          title: o.title,
          ...(o.dir ? { dir: o.dir } : {}),
          ...(o.machine ? { machine: o.machine } : {}),
        });
        if (o.json) return printJson(shipped);
        console.log(`shipped '${shipped.name}' (${shipped.sizeMb} MiB): ${shipped.path}\ncard: ${shipped.cardPath.replace(/\.json$/, '.md')}`);
        for (const s of shipped.scores)
          console.log(
            `  ${shipped.env} ${s.split}${s.constrained ? ', constrained' : ''}: ${formatSuccess(s.successRate, s.successInterval)} over ${plural(s.episodes, 'episode')}`,
          );
      });
    });
}

function modelsTable(list: ModelList): string {
  const lines: string[] = ['Base models:'];
  for (const m of list.baseModels) lines.push(`  ${m.name}  ${m.sizeMb} MiB${m.isDefault ? '  (default)' : ''}  ${m.path}`);
  if (!list.baseModels.length) lines.push('  none: run `npm run setup`');
  lines.push('', 'Shipped adapters (--adapter <name>):');
  for (const a of list.shipped) {
    lines.push(`  ${a.name}  ${a.title}  (on ${a.baseModel}, ${a.sizeMb} MiB)`);
    for (const s of a.scores) {
      lines.push(
        `    ${a.env} ${s.split}${s.constrained ? ', constrained' : ''}: success ${formatSuccess(s.successRate, s.successInterval)} over ${plural(s.episodes, 'episode')}`,
      );
    }
    lines.push(`    card: ${a.cardPath.replace(/\.json$/, '.md')}`);
  }
  if (!list.shipped.length) lines.push('  none');
  lines.push('', 'Trained adapters (this dataset):');
  for (const a of list.adapters) lines.push(`  run ${a.runId} ${a.kind.toUpperCase()}  ${a.runStatus}  ${a.path}`);
  if (!list.adapters.length) lines.push('  none');
  return lines.join('\n');
}
