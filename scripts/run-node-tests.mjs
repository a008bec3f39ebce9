#!/usr/bin/env node
// Runs node:test over every *.test.ts below the given folders (Node 20's --test takes no globs).
// Usage: node scripts/run-node-tests.mjs [--concurrency N] <dir|file>...
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

const args = process.argv.slice(2);
let concurrency = '1';
const roots = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--concurrency') concurrency = args[++i];
  else roots.push(args[i]);
}

function collect(path, out) {
  const st = statSync(path);
  if (st.isFile()) { if (path.endsWith('.test.ts')) out.push(path); return; }
  for (const entry of readdirSync(path)) {
    if (entry === 'node_modules' || entry === 'dist') continue;
    collect(join(path, entry), out);
  }
}

const files = [];
for (const root of roots.length ? roots : ['test']) collect(resolve(root), files);
files.sort();
if (files.length === 0) {
  console.error(`no test files under ${roots.join(' ')}`);
  process.exit(1);
}
const result = spawnSync(process.execPath, [
  '--conditions=gyre-source', '--import', 'tsx',
  '--test', `--test-concurrency=${concurrency}`, ...files,
], { stdio: 'inherit' });
process.exit(result.status ?? 1);
