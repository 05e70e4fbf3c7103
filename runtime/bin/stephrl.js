#!/usr/bin/env node
// The `stephrl` command: runs the bundled runtime (built by `npm run build`, which `npm run setup` runs).
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const bundle = path.join(__dirname, '..', '..', 'dist', 'runtime', 'stephrl.js');
if (!fs.existsSync(bundle)) {
  process.stderr.write(`stephrl: the runtime is not built (${bundle} is missing): run \`npm run setup\` first\n`);
  process.exit(1);
}
require(bundle)
  .main(process.argv)
  .then((code) => process.exit(code));
