// Writes libs/config/KEYS.md from the schema. Run from the repo root:
//   node --conditions=gyre-source --import tsx libs/config/scripts/keys-doc.ts
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { keysDocument } from '../src/docs.js';

const target = fileURLToPath(new URL('../KEYS.md', import.meta.url));
writeFileSync(target, keysDocument());
console.log(`wrote ${target}`);
