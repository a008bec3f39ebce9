import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { keysDocument } from '../src/docs.js';
import { configKeys } from '../src/index.js';

test('docs - KEYS.md is generated from the schema and up to date', () => {
  const committed = readFileSync(fileURLToPath(new URL('../KEYS.md', import.meta.url)), 'utf8');
  assert.equal(
    committed,
    keysDocument(),
    'libs/config/KEYS.md is stale: run node --conditions=gyre-source --import tsx libs/config/scripts/keys-doc.ts',
  );
});

test('docs - every key has a distinct env name', () => {
  const seen = new Map<string, string>();
  for (const k of configKeys()) {
    for (const name of k.env) {
      if (name.includes('<NAME>')) continue;
      assert.equal(seen.get(name) ?? k.key, k.key, `${name} used by ${seen.get(name)} and ${k.key}`);
      seen.set(name, k.key);
    }
  }
  const topLevelKeys = configKeys().filter((k) => !k.key.includes('[]')).length;
  assert.ok(seen.size >= 2 * topLevelKeys, `${seen.size} names for ${topLevelKeys} keys`);
});
