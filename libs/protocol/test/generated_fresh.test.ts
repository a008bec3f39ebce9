// The committed generated code must be exactly what `npm run proto:gen` produces from proto/.
// Regenerates into a temporary directory (buf + local protoc-gen-es, no network) and compares
// file by file, so a stale or hand-edited file fails the suite with its name.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const committed = join(root, 'libs/protocol/src/gen');

function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}

test('generated code - committed files equal a fresh proto:gen run', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'gyre-gen-fresh-'));
  try {
    const started = Date.now();
    const r = spawnSync(process.execPath, [join(root, 'scripts/proto-gen.mjs'), '--out', tmp], {
      cwd: root,
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, `proto-gen failed:\n${r.stdout}${r.stderr}`);
    assert.ok(Date.now() - started < 30_000, 'generation should take seconds, not minutes');

    const fresh = listFiles(tmp);
    const have = listFiles(committed);
    assert.ok(fresh.length >= 5, `expected generated files, got ${fresh.join(', ')}`);
    const missing = fresh.filter((f) => !have.includes(f));
    const extra = have.filter((f) => !fresh.includes(f));
    assert.deepEqual(missing, [], `missing from libs/protocol/src/gen (run npm run proto:gen): ${missing.join(', ')}`);
    assert.deepEqual(extra, [], `stale files in libs/protocol/src/gen (run npm run proto:gen): ${extra.join(', ')}`);
    for (const f of fresh) {
      const a = readFileSync(join(tmp, f), 'utf8');
      const b = readFileSync(join(committed, f), 'utf8');
      assert.ok(a === b, `libs/protocol/src/gen/${f} is stale: run npm run proto:gen`);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('generated code - every schema file under proto/ has generated output', () => {
  const protos = listFiles(join(root, 'proto')).filter((f) => f.endsWith('.proto'));
  const have = listFiles(committed);
  for (const p of protos) {
    const expected = p.replace(/\.proto$/, '_pb.ts');
    assert.ok(have.includes(expected), `no generated file for proto/${p}`);
  }
  assert.deepEqual(protos.sort(), [
    'centrifugal/centrifuge/protocol/client.proto',
    'centrifugal/centrifugo/api/api.proto',
    'centrifugal/centrifugo/proxy/proxy.proto',
    'centrifugal/centrifugo/unistream/unistream.proto',
    'gyre/v1/bus.proto',
  ]);
});
