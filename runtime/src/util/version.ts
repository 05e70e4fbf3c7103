import * as fs from 'node:fs';
import * as path from 'node:path';
import { projectRoot } from './paths';

export const version: string = JSON.parse(fs.readFileSync(path.join(projectRoot, 'package.json'), 'utf8')).version;
