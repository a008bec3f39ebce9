#!/usr/bin/env node
// `npm run proto:gen`: regenerate TypeScript from proto/ with buf + protoc-gen-es v2.
//
//   node scripts/proto-gen.mjs              write libs/protocol/src/gen (replacing it entirely)
//   node scripts/proto-gen.mjs --out <dir>  write into <dir> instead (used by the freshness test)
//
// Fully local: buf and protoc-gen-es come from node_modules, buf.yaml has no BSR dependencies
// and the plugin is a local one, so nothing touches the network. Generation goes to a temporary
// directory first and replaces the target only on success, so a failed run never leaves a
// half-written gen/ behind, and files of deleted .proto files disappear.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const protoDir = join(root, 'proto');
const binDir = join(root, 'node_modules', '.bin');

export const DEFAULT_OUT = join(root, 'libs', 'protocol', 'src', 'gen');

/**
 * Generates every .proto under proto/ into `outDir`, replacing its previous content.
 * Throws with buf's output when generation fails.
 */
export function generate(outDir = DEFAULT_OUT) {
  const bufBin = join(binDir, process.platform === 'win32' ? 'buf.cmd' : 'buf');
  if (!existsSync(bufBin)) throw new Error(`buf not found at ${bufBin}; run npm install`);
  const staging = mkdtempSync(join(tmpdir(), 'gyre-proto-gen-'));
  try {
    const r = spawnSync(bufBin, ['generate', '--template', 'buf.gen.yaml', '--output', staging], {
      cwd: protoDir,
      encoding: 'utf8',
      env: {
        ...process.env,
        PATH: `${binDir}${delimiter}${process.env.PATH ?? ''}`,
        // Keep buf's cache out of $HOME and never let it phone home.
        BUF_CACHE_DIR: join(staging, '.buf-cache'),
        BUF_BETA_SUPPRESS_WARNINGS: '1',
      },
    });
    if (r.status !== 0) {
      throw new Error(`buf generate failed (exit ${r.status ?? r.signal}):\n${r.stdout}${r.stderr}`);
    }
    rmSync(join(staging, '.buf-cache'), { recursive: true, force: true });
    rmSync(outDir, { recursive: true, force: true });
    mkdirSync(outDir, { recursive: true });
    cpSync(staging, outDir, { recursive: true });
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return outDir;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  let out = DEFAULT_OUT;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--out') out = resolve(args[++i] ?? '');
    else {
      console.error(`unknown argument: ${args[i]}\nusage: node scripts/proto-gen.mjs [--out <dir>]`);
      process.exit(2);
    }
  }
  try {
    console.log(`proto-gen: wrote ${generate(out)}`);
  } catch (err) {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  }
}
