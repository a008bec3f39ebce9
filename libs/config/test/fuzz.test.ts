import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ConfigError, configKeys, parseConfigText } from '../src/index.js';

function onlyConfigErrors(run: () => unknown): void {
  try {
    run();
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    assert.ok(!e.message.includes('\n'), `multi-line message: ${e.message}`);
  }
}

// Builds a nested object from dotted keys so random values land on real keys at every depth.
function nest(entries: Array<[string, unknown]>): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const [key, value] of entries) {
    const parts = key.replace(/\[\]/g, '').split('.');
    let o = root;
    parts.forEach((p, i) => {
      if (i === parts.length - 1) o[p] = value;
      else {
        if (typeof o[p] !== 'object' || o[p] === null || Array.isArray(o[p])) o[p] = {};
        o = o[p] as Record<string, unknown>;
      }
    });
  }
  return root;
}

const KEYS = configKeys()
  .map((k) => k.key)
  .filter((k) => !k.includes('[]'));

test('fuzz - random JSON values as config throw nothing but ConfigError', () => {
  fc.assert(
    fc.property(fc.jsonValue(), (value) => {
      onlyConfigErrors(() => parseConfigText(JSON.stringify(value), 'config.json'));
    }),
    { numRuns: 500 },
  );
});

test('fuzz - random values on real keys throw nothing but ConfigError', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.constantFrom(...KEYS), fc.jsonValue({ maxDepth: 3 })), { maxLength: 12 }), (entries) => {
      onlyConfigErrors(() => parseConfigText(JSON.stringify(nest(entries)), 'config.json'));
    }),
    { numRuns: 500 },
  );
});

test('fuzz - random namespaces and proxies throw nothing but ConfigError', () => {
  const item = fc.dictionary(
    fc.constantFrom('name', 'history_size', 'history_ttl', 'force_recovery', 'channel_regex', 'endpoint', 'timeout', 'presence', 'map', 'subscription_type'),
    fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constantFrom('chat', '60s', '^[a-z]+$', 'http://x', 'map', 'cache')),
  );
  fc.assert(
    fc.property(fc.array(item, { maxLength: 4 }), fc.array(item, { maxLength: 3 }), (namespaces, proxies) => {
      onlyConfigErrors(() => parseConfigText(JSON.stringify({ channel: { namespaces }, proxies }), 'config.json'));
    }),
    { numRuns: 300 },
  );
});

test('fuzz - random text in every format throws nothing but ConfigError', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 200 }), fc.constantFrom('config.json', 'config.yaml', 'config.toml'), (text, file) => {
      onlyConfigErrors(() => parseConfigText(text, file));
    }),
    { numRuns: 500 },
  );
});

test('fuzz - random env values throw nothing but ConfigError', () => {
  const names = configKeys()
    .flatMap((k) => k.env)
    .filter((n) => !n.includes('<NAME>'));
  fc.assert(
    fc.property(fc.dictionary(fc.constantFrom(...names), fc.string({ maxLength: 30 }), { maxKeys: 6 }), (env) => {
      onlyConfigErrors(() => parseConfigText('{}', 'config.json', { env }));
    }),
    { numRuns: 500 },
  );
});
