import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, parseConfigText } from '../src/index.js';

const TEXT = JSON.stringify({
  client: { channel_limit: 10, chanel_limit: 5 },
  channel: { namespaces: [{ name: 'chat', presence: true }, { name: 'news', foo: 1, map: { moed: 'x' } }] },
  proxies: [{ name: 'p1', endpoint: 'http://x', http: { static_header: {} } }],
  totally_unknown: { nested: true },
  gyre: { bus: { kind: 'nats' } },
});

test('unknown keys - are warnings with their dotted path and array index', () => {
  const { warnings, config } = parseConfigText(TEXT, 'config.json');
  assert.deepEqual(warnings, [
    'unknown key client.chanel_limit in config.json',
    'unknown key channel.namespaces[1].foo in config.json',
    'unknown key channel.namespaces[1].map.moed in config.json',
    'unknown key proxies[0].http.static_header in config.json',
    'unknown key totally_unknown in config.json',
    'unknown key gyre.bus.kind in config.json',
  ]);
  assert.equal(config.client.channel_limit, 10);
});

test('unknown keys - are fatal in strict mode', () => {
  assert.throws(
    () => parseConfigText(TEXT, 'config.json', { strict: true }),
    (e: unknown) =>
      e instanceof ConfigError &&
      e.message ===
        'unknown keys: client.chanel_limit in config.json, channel.namespaces[1].foo in config.json, channel.namespaces[1].map.moed in config.json, proxies[0].http.static_header in config.json, totally_unknown in config.json and 1 more',
  );
  assert.throws(
    () => parseConfigText('{"client": {"x": 1}}', 'config.yaml', { strict: true }),
    /^ConfigError: unknown key: client\.x in config\.yaml$/,
  );
});

test('unknown keys - inside JSON from env are reported with the variable', () => {
  const r = parseConfigText('{}', 'config.json', { env: { CENTRIFUGO_CHANNEL_NAMESPACES: '[{"name": "ns1", "presense": true}]' } });
  assert.deepEqual(r.warnings, ['unknown key channel.namespaces[0].presense (from CENTRIFUGO_CHANNEL_NAMESPACES)']);
  assert.throws(
    () => parseConfigText('{}', 'config.json', { strict: true, env: { CENTRIFUGO_CHANNEL_NAMESPACES: '[{"name": "ns1", "presense": true}]' } }),
    /unknown key: channel\.namespaces\[0\]\.presense \(from CENTRIFUGO_CHANNEL_NAMESPACES\)/,
  );
});

test('unknown keys - a strict config without unknown keys loads', () => {
  const r = parseConfigText('{"client": {"channel_limit": 3}}', 'config.json', { strict: true });
  assert.equal(r.config.client.channel_limit, 3);
});

test('unknown keys - keys given twice in different case warn and the last wins', () => {
  const r = parseConfigText('{"client": {"channel_limit": 3, "Channel_Limit": 4}}', 'config.json');
  assert.equal(r.config.client.channel_limit, 4);
  assert.deepEqual(r.warnings, [
    'key client.channel_limit is given twice ("channel_limit" and "Channel_Limit"; keys are case-insensitive), the last one wins',
  ]);
});
