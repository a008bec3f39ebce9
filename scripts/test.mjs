#!/usr/bin/env node
// `npm test`: the whole suite, as CI runs it. Type check, lint, then every test file of every
// package and the repo-level tests (architecture rules, generated-code freshness) in one node:test run.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const run = (label, cmd, args) => {
  const started = Date.now();
  console.log(`\n== ${label}: ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: process.env });
  console.log(`== ${label}: ${r.status === 0 ? 'ok' : 'FAILED'} in ${((Date.now() - started) / 1000).toFixed(1)}s`);
  if (r.status !== 0) process.exit(r.status ?? 1);
};

run('typecheck', process.execPath, [resolve(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json', '--noEmit']);
run('lint', process.execPath, [resolve(root, 'node_modules/eslint/bin/eslint.js'), '--max-warnings=0', '.']);
run('tests', process.execPath, [resolve(root, 'scripts/run-node-tests.mjs'), '--concurrency', process.env.GYRE_TEST_CONCURRENCY ?? '2', 'test', 'libs', 'services', 'bench']);
