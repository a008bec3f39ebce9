/**
 * Dependency rules of ARCHITECTURE.md, checked on every import in the repo:
 * libs never import services; a service never imports another service (they meet on the bus);
 * only the composing `gyre` service imports the others.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const services = readdirSync(join(root, 'services'));
const libs = readdirSync(join(root, 'libs'));

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir)) {
    if (e === 'node_modules' || e === 'dist') continue;
    const p = join(dir, e);
    if (statSync(p).isDirectory()) sourceFiles(p, out);
    else if (/\.(ts|mts|js|mjs)$/.test(e)) out.push(p);
  }
  return out;
}

const importRe = /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|require\(\s*['"]([^'"]+)['"]\s*\)/g;

/** Which package (e.g. `services/edge`) an import from `file` lands in, or null if external. */
function targetPackage(file: string, spec: string): string | null {
  if (spec.startsWith('@gyre/')) {
    const name = spec.slice(6).split('/')[0]!;
    if (services.includes(name)) return `services/${name}`;
    if (libs.includes(name)) return `libs/${name}`;
    return `unknown/${name}`;
  }
  if (spec.startsWith('.')) {
    const rel = relative(root, resolve(dirname(file), spec)).split('/');
    if ((rel[0] === 'services' || rel[0] === 'libs') && rel[1]) return `${rel[0]}/${rel[1]}`;
  }
  return null;
}

export function violations(): string[] {
  const found: string[] = [];
  for (const kind of ['libs', 'services']) {
    for (const pkg of readdirSync(join(root, kind))) {
      const from = `${kind}/${pkg}`;
      for (const file of sourceFiles(join(root, from))) {
        const text = readFileSync(file, 'utf8');
        for (const m of text.matchAll(importRe)) {
          const spec = m[1] ?? m[2] ?? m[3]!;
          const to = targetPackage(file, spec);
          if (!to || to === from) continue;
          const where = `${relative(root, file)} imports ${spec}`;
          if (to.startsWith('unknown/')) found.push(`${where}: no such package`);
          else if (kind === 'libs' && to.startsWith('services/')) found.push(`${where}: libs never import services`);
          else if (kind === 'services' && pkg !== 'gyre' && to.startsWith('services/')) found.push(`${where}: services meet only on the bus`);
        }
      }
    }
  }
  return found;
}

test('architecture - libs never import services and services never import each other', () => {
  assert.deepEqual(violations(), []);
});

test('architecture - the import scanner sees a forbidden import (self-check)', () => {
  const file = join(root, 'libs/bus/src/x.ts');
  assert.equal(targetPackage(file, '@gyre/edge'), 'services/edge');
  assert.equal(targetPackage(file, '../../../services/api/src/index.js'), 'services/api');
  assert.equal(targetPackage(file, './bus.js'), 'libs/bus');
  assert.equal(targetPackage(file, 'nats'), null);
});
