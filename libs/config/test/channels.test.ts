import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  defaultConfig,
  isPrivateChannel,
  parseConfigText,
  personalChannel,
  resolveChannel,
  resolveRpcNamespace,
  userLimitedUsers,
} from '../src/index.js';

const { config } = parseConfigText(
  JSON.stringify({
    channel: {
      without_namespace: { presence: true },
      namespaces: [
        { name: 'chat', history_size: 10, history_ttl: '60s', channel_regex: '^[a-z0-9-]+$' },
        { name: 'dialog', allow_user_limited_channels: true },
        { name: 'my.ns-1', join_leave: true },
      ],
    },
    rpc: { namespaces: [{ name: 'users', proxy_enabled: true, proxy_name: 'backend' }] },
    proxies: [{ name: 'backend', endpoint: 'http://localhost:3000' }],
    client: { subscribe_to_user_personal_channel: { enabled: true, personal_channel_namespace: 'dialog' } },
  }),
  'config.json',
);

test('resolveChannel - channel without namespace uses without_namespace', () => {
  const r = resolveChannel(config, 'news');
  assert.equal(r?.namespace, null);
  assert.equal(r?.rest, 'news');
  assert.equal(r?.options.presence, true);
  assert.equal(r?.regex, null);
});

test('resolveChannel - namespace is the part before the first boundary', () => {
  const r = resolveChannel(config, 'chat:room:1');
  assert.equal(r?.namespace, 'chat');
  assert.equal(r?.rest, 'room:1');
  assert.equal(r?.options.history_size, 10);
  assert.ok(r?.regex instanceof RegExp);
  assert.equal(r?.regex?.test('room-1'), true);
  assert.equal(r?.regex?.test(r.rest), false);
  assert.equal(resolveChannel(config, 'my.ns-1:x')?.options.join_leave, true);
});

test('resolveChannel - private prefix is stripped before resolving', () => {
  const r = resolveChannel(config, '$chat:room');
  assert.equal(r?.namespace, 'chat');
  assert.equal(r?.rest, 'room');
  // without a namespace the regex is matched against the whole channel, as Centrifugo does
  assert.equal(resolveChannel(config, '$secret')?.rest, '$secret');
  assert.equal(resolveChannel(config, '$secret')?.namespace, null);
  assert.equal(isPrivateChannel(config, '$chat:room'), true);
  assert.equal(isPrivateChannel(config, 'chat:$room'), false);
});

test('resolveChannel - unknown namespace is null (102 unknown channel)', () => {
  assert.equal(resolveChannel(config, 'nope:room'), null);
  assert.equal(resolveChannel(config, '$nope:room'), null);
  assert.equal(resolveChannel(config, 'Chat:room'), null); // namespace names are case-sensitive
});

test('resolveChannel - empty namespace before the boundary means without_namespace', () => {
  const r = resolveChannel(config, ':room');
  assert.equal(r?.namespace, null);
  assert.equal(r?.rest, 'room');
  assert.equal(r?.options.presence, true);
});

test('resolveChannel - custom boundaries and prefix are honoured', () => {
  const custom = parseConfigText(
    JSON.stringify({ channel: { namespace_boundary: '/', private_prefix: '!!', namespaces: [{ name: 'chat', presence: true }] } }),
    'config.json',
  ).config;
  assert.equal(resolveChannel(custom, '!!chat/room')?.namespace, 'chat');
  assert.equal(resolveChannel(custom, 'chat:room')?.namespace, null);
  assert.equal(resolveChannel(custom, '$chat/room'), null);
});

test('resolveChannel - returns frozen options resolved once per config', () => {
  const a = resolveChannel(config, 'chat:a');
  const b = resolveChannel(config, 'chat:b');
  assert.ok(a && b);
  assert.equal(a.options, b.options);
  assert.ok(Object.isFrozen(a.options));
  assert.ok(Object.isFrozen(a.options.allowed_delta_types));
  assert.throws(() => {
    (a.options as { presence: boolean }).presence = true;
  }, TypeError);
  assert.equal(config.channel.namespaces[0]?.presence, false); // the config itself is untouched
  assert.equal('name' in a.options, false);
});

test('resolveChannel - works on a defaultConfig and sees namespaces added to it', () => {
  const d = defaultConfig();
  assert.equal(resolveChannel(d, 'anything')?.namespace, null);
  assert.equal(resolveChannel(d, 'ns:anything'), null);
  const ns = parseConfigText('{"channel": {"namespaces": [{"name": "ns", "presence": true}]}}', 'config.json').config.channel.namespaces[0];
  assert.ok(ns);
  d.channel.namespaces.push(ns);
  assert.equal(resolveChannel(d, 'ns:anything')?.options.presence, true);
  d.channel = { ...d.channel, namespaces: [], private_prefix: '#' };
  assert.equal(resolveChannel(d, 'ns:anything'), null);
});

test('userLimitedUsers - takes the users after the last user boundary', () => {
  assert.deepEqual(userLimitedUsers(config, 'dialog:#42,43'), ['42', '43']);
  assert.deepEqual(userLimitedUsers(config, 'dialog#42'), ['42']);
  assert.deepEqual(userLimitedUsers(config, 'a#b#1,2'), ['1', '2']);
  assert.deepEqual(userLimitedUsers(config, 'chat:#'), ['']);
  assert.equal(userLimitedUsers(config, 'chat:room'), null);
});

test('personalChannel - uses the personal namespace when set', () => {
  assert.equal(personalChannel(config, '42'), 'dialog:#42');
  assert.equal(personalChannel(defaultConfig(), '42'), '#42');
});

test('resolveRpcNamespace - namespace before the rpc boundary, null when undefined', () => {
  assert.deepEqual(resolveRpcNamespace(config, 'users:get'), { namespace: 'users', options: { proxy_enabled: true, proxy_name: 'backend' } });
  assert.deepEqual(resolveRpcNamespace(config, 'ping'), { namespace: null, options: { proxy_enabled: false, proxy_name: 'default' } });
  assert.equal(resolveRpcNamespace(config, 'orders:create'), null);
});
