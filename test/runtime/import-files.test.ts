/** What an import reads: regular files only, in valid UTF-8 (the line of the first bad byte is named), nothing hangs. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readImport } from '../../runtime/src/exchange/files';
import { ImportError } from '../../runtime/src/exchange/types';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stephrl-import-'));

function problems(files: string[]): string[] {
  try {
    readImport('jsonl', files, {});
  } catch (error) {
    assert.ok(error instanceof ImportError, String(error));
    return error.problems.map((p) => `${path.basename(p.file)}:${p.line}: ${p.message}`);
  }
  assert.fail('the import was accepted');
}

test('a device, a FIFO and a folder are refused without being read', () => {
  const fifo = path.join(dir, 'fifo.jsonl');
  execFileSync('mkfifo', [fifo]);
  assert.deepEqual(problems(['/dev/zero']), ['zero:0: not a regular file']);
  assert.deepEqual(problems([fifo]), ['fifo.jsonl:0: not a regular file']);
  assert.deepEqual(problems([dir]), [`${path.basename(dir)}:0: not a regular file`]);
});

test('invalid UTF-8 is refused with its line instead of being replaced and stored', () => {
  const bad = path.join(dir, 'bad.jsonl');
  fs.writeFileSync(bad, Buffer.concat([Buffer.from('{"a": 1}\n{"b": "caf'), Buffer.from([0xc3, 0x28]), Buffer.from('"}\n')]));
  assert.deepEqual(problems([bad]), ['bad.jsonl:2: the file is not valid UTF-8']);
});
