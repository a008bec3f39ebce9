#!/usr/bin/env node
// The `gyre` command. Runs the TypeScript sources directly (tsx), so no build step is needed.
import { register } from 'node:module';
import { register as registerTsx } from 'tsx/esm/api';

registerTsx();
// Registered after tsx so it runs first: hooks run last-registered first.
register('./source-conditions.mjs', import.meta.url);

const { main } = await import('../src/main.ts');
process.exitCode = await main(process.argv.slice(2));
