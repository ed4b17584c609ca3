#!/usr/bin/env node
// Runs the compiled CLI (built by `npm install` through the `prepare` script).
import { existsSync } from 'node:fs';

const compiled = new URL('../dist/src/cli/entry.js', import.meta.url);
if (!existsSync(compiled)) {
  process.stderr.write('attnlab: the build output is missing; run `npm install` (or `npm run build`) in the attnlab folder.\n');
  process.exit(1);
}
await import(compiled.href);
