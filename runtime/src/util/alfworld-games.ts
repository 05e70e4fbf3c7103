/**
 * ALFWorld games are stored in datasets by their trial folder relative to the data root
 * ("json_2.1.1/valid_train/<task>/<trial>"), so a dataset stays valid when the data moves to another machine.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export function alfworldGameKey(gamePath: string, dataRoot: string): string {
  const folder = path.basename(gamePath) === 'game.tw-pddl' ? path.dirname(gamePath) : gamePath;
  const parts = path.resolve(folder).split(path.sep);
  const versioned = parts.findIndex((p) => p.startsWith('json_2.1'));
  if (versioned >= 0) return parts.slice(versioned).join('/');
  const relative = path.relative(dataRoot, folder);
  return relative.startsWith('..') ? path.resolve(folder) : relative.split(path.sep).join('/');
}

export function resolveAlfworldGame(key: string, dataRoot: string): string {
  if (path.isAbsolute(key)) return key;
  const direct = path.join(dataRoot, key);
  if (fs.existsSync(direct)) return direct;
  // The root may itself be a json_2.1.x folder.
  const withoutVersion = key.split('/').slice(1).join('/');
  const nested = path.join(dataRoot, withoutVersion);
  return fs.existsSync(nested) ? nested : direct;
}
