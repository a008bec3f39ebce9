/**
 * The Centrifugo binary the bench compares against, built on demand from the Go module proxy into
 * bench/.cache (gitignored; never committed).
 *
 * Why v5.4.9 and not v6: the module proxy reachable here refuses every github.com/centrifugal/
 * centrifugo/v6 version (403 "not available") and serves exactly one release of the v5 line, 5.4.9.
 * That is the newest Centrifugo the proxy serves, so it is the peer. Its client protocol (v2, JSON and
 * protobuf over WebSocket) and HTTP API (`POST /api/<method>`, `X-API-Key`) are what Gyre speaks; only
 * its config keys differ from v6 (flat v5 names), which targets.ts writes for it.
 *
 * `go install module@version` is not used because it also asks the proxy for the module's version
 * list (for deprecation notices), which the proxy refuses; a throwaway module that requires the
 * pinned version and builds its main package does the same build without that request.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const CENTRIFUGO_MODULE = 'github.com/centrifugal/centrifugo/v5';
/** The pinned Centrifugo release (the newest the module proxy serves; see above). */
export const CENTRIFUGO_VERSION = 'v5.4.9';

export interface CentrifugoBinary {
  path: string;
  version: string;
}

export function centrifugoBinary(cacheDir: string, log: (s: string) => void): CentrifugoBinary {
  const binDir = join(cacheDir, 'bin');
  const bin = join(binDir, 'centrifugo');
  const stamp = join(binDir, 'centrifugo.version');
  if (existsSync(bin) && existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === `${CENTRIFUGO_MODULE}@${CENTRIFUGO_VERSION}`) {
    return { path: bin, version: CENTRIFUGO_VERSION };
  }
  log(`installing Centrifugo ${CENTRIFUGO_VERSION} (${CENTRIFUGO_MODULE}) into ${binDir} with the Go toolchain; takes a few minutes once`);
  const build = join(cacheDir, 'centrifugo-build');
  mkdirSync(build, { recursive: true });
  mkdirSync(binDir, { recursive: true });
  writeFileSync(join(build, 'go.mod'), `module gyrebenchcentrifugo\n\ngo 1.23\n\nrequire ${CENTRIFUGO_MODULE} ${CENTRIFUGO_VERSION}\n`);
  writeFileSync(join(build, 'tools.go'), `//go:build tools\n\npackage tools\n\nimport _ "${CENTRIFUGO_MODULE}"\n`);
  const env = { ...process.env, GOBIN: binDir, GOFLAGS: '-buildvcs=false', CGO_ENABLED: '0' };
  const opts = { cwd: build, env, stdio: ['ignore', 'inherit', 'inherit'] as ('ignore' | 'inherit')[], timeout: 15 * 60_000 };
  execFileSync('go', ['mod', 'tidy'], opts);
  execFileSync('go', ['install', '-ldflags', `-X ${CENTRIFUGO_MODULE}/internal/build.Version=${CENTRIFUGO_VERSION.slice(1)}`, CENTRIFUGO_MODULE], opts);
  writeFileSync(stamp, `${CENTRIFUGO_MODULE}@${CENTRIFUGO_VERSION}\n`);
  log(`installed ${bin}`);
  return { path: bin, version: CENTRIFUGO_VERSION };
}
