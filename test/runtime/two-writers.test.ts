/** One dataset, two writers (the CLI and the extension, or two CLIs): a new file is created once, demonstrations stored once. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DatasetStore } from '../../runtime/src/store/dataset-store';
import { SCHEMA_VERSION } from '../../runtime/src/store/schema';
import { runCli } from './helpers';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stephrl-writers-'));

test('several processes creating one new dataset at the same moment all open it', async () => {
  const file = path.join(dir, 'new.db');
  const opened = await Promise.allSettled(Array.from({ length: 4 }, () => runCli(['dataset', 'stats', '--db', file, '--json'])));
  for (const o of opened) {
    assert.equal(o.status, 'fulfilled');
    assert.equal(o.value.code, 0, o.value.stderr);
  }
  const stores = await Promise.all(Array.from({ length: 3 }, () => DatasetStore.open(file)));
  try {
    const version = await stores[0]!.db.get<{ user_version: number }>('PRAGMA user_version');
    assert.equal(version!.user_version, SCHEMA_VERSION);
  } finally {
    await Promise.all(stores.map((s) => s.close()));
  }
});

test('two demonstration runs on one dataset store each game once', async () => {
  const db = path.join(dir, 'demos.db');
  const args = ['demos', '--env', 'alfworld', '--split', 'valid_train', '--limit', '3', '--no-tidy', '--db', db, '--json'];
  const [a, b] = await Promise.all([runCli(args), runCli(args)]);
  assert.equal(a.code, 0, a.stderr);
  assert.equal(b.code, 0, b.stderr);
  const [ra, rb] = [JSON.parse(a.stdout), JSON.parse(b.stdout)];
  assert.equal(ra.stored + rb.stored, 3, `${a.stdout}\n${b.stdout}`);
  assert.equal(ra.stored + ra.skipped, 3);
  assert.equal(rb.stored + rb.skipped, 3);
  const store = await DatasetStore.open(db);
  try {
    const episodes = await store.episodes.list({ source: 'expert' });
    assert.equal(episodes.length, 3);
    assert.equal(new Set(episodes.map((e) => e.game)).size, 3);
  } finally {
    await store.close();
  }
});
