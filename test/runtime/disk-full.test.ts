/**
 * A full disk stops a job at its first failed write, says so naming the file, and keeps what was finished. The disk
 * is made "full" with SQLite's own page limit on the job's connection (PRAGMA max_page_count): the same SQLITE_FULL
 * error a full file system gives.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DatasetStore } from '../../runtime/src/store/dataset-store';
import { DiskFullError } from '../../runtime/src/store/sqlite';
import { collectDemonstrations } from '../../runtime/src/collect/demos';
import { resolveAlfworldData } from '../../runtime/src/util/paths';

test('demonstrations stop at the first SQLITE_FULL with a DiskFullError and a failed run', async () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'stephrl-full-')), 'full.db');
  const store = await DatasetStore.open(file);
  try {
    const pages = (await store.db.get<{ page_count: number }>('PRAGMA page_count'))!.page_count;
    await store.db.exec(`PRAGMA max_page_count = ${pages + 3}`); // room for the run row, not for 6 episodes
    const attempts: boolean[] = [];
    await assert.rejects(
      collectDemonstrations(store, {
        env: 'alfworld',
        split: 'valid_train',
        limit: 6,
        alfworldData: resolveAlfworldData(),
        tidy: false,
        onEpisode: ({ ok }) => attempts.push(ok),
      }),
      (error: unknown) => error instanceof DiskFullError && error.message.startsWith(`the disk holding ${file} is full`),
    );
    assert.ok(attempts.length < 6, `it went on after the disk was full: ${attempts.length} episodes tried`);
    const [run] = await store.runs.list('collect');
    assert.equal(run!.status, 'failed');
    assert.match(run!.error!, /is full/);
  } finally {
    await store.close();
  }
});
