/**
 * docker-compose.yml cannot run here (no Docker engine), so its wiring is checked statically:
 * it parses, every Gyre container runs the CLI with a config the real loader accepts, and the
 * services it starts cover each Gyre service exactly as the cluster shape needs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { loadConfig, GYRE_SERVICES } from '@gyre/config';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
interface ComposeService { image?: string; build?: unknown; command?: string[]; volumes?: string[]; depends_on?: string[] }
const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, ComposeService> };

const gyreServices = Object.entries(compose.services).filter(([, s]) => s.image === 'gyre:local');

test('compose - parses and runs every Gyre service in its own container over NATS and Redis', () => {
  assert.ok(compose.services.nats && compose.services.redis);
  const running = new Set<string>();
  for (const [name, s] of gyreServices) {
    assert.ok(s.command, `${name} has a command`);
    assert.equal(s.command[0], 'serve');
    const i = s.command.indexOf('--services');
    assert.ok(i > 0, `${name} names its services`);
    for (const svc of s.command[i + 1]!.split(',')) {
      assert.ok((GYRE_SERVICES as readonly string[]).includes(svc), `${name}: unknown service ${svc}`);
      running.add(svc);
    }
    assert.deepEqual(s.depends_on, ['nats', 'redis']);
  }
  assert.deepEqual([...running].sort(), [...GYRE_SERVICES].sort());
});

test('compose - the mounted config loads strictly and points the bus at nats and the store at redis', () => {
  for (const [name, s] of gyreServices) {
    const mount = s.volumes?.find((v) => v.endsWith(':/etc/gyre/config.json:ro'));
    assert.ok(mount, `${name} mounts the config`);
    const hostPath = join(root, mount.split(':')[0]!);
    const { config } = loadConfig({ path: hostPath, env: {}, strict: true, requireFile: true, overrides: { 'gyre.services': s.command![s.command!.indexOf('--services') + 1]!.split(',').join(' ') } });
    assert.equal(config.gyre.bus.type, 'nats');
    assert.equal(config.gyre.bus.nats.url, 'nats://nats:4222');
    assert.equal(config.gyre.store.type, 'redis');
    assert.equal(config.gyre.store.redis.address, 'redis://redis:6379');
    assert.equal(config.health.enabled, true, 'readiness probe target enabled');
  }
});

test('compose - the Dockerfile runs the same CLI entry point the tests run', () => {
  const dockerfile = readFileSync(join(root, 'deploy/Dockerfile'), 'utf8');
  assert.match(dockerfile, /ENTRYPOINT \["node", "services\/gyre\/bin\/gyre\.mjs"\]/);
  assert.match(dockerfile, /npm install --omit=dev/);
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  assert.ok(pkg.dependencies.tsx, 'tsx is a runtime dependency (the bin runs TypeScript sources)');
});
