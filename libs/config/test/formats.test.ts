import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, parseConfigText } from '../src/index.js';

const JSON_CONFIG = `{
  "http_server": { "port": 9000, "internal_port": "9001" },
  "log": { "level": "debug" },
  "client": {
    "token": { "hmac_secret_key": "secret" },
    "allowed_origins": ["https://example.com", "http://localhost:*"],
    "ping_interval": "20s",
    "pong_timeout": "5s",
    "channel_limit": 64
  },
  "channel": {
    "without_namespace": { "presence": true },
    "namespaces": [
      { "name": "chat", "presence": true, "history_size": 100, "history_ttl": "300s", "force_recovery": true },
      { "name": "news", "channel_regex": "^[a-z]+$", "allowed_delta_types": ["fossil"] }
    ]
  },
  "proxies": [
    { "name": "backend", "endpoint": "http://localhost:3000/proxy", "timeout": "1.5s",
      "http": { "static_headers": { "X-Token": "t" } } }
  ],
  "engine": { "type": "redis", "redis": { "address": ["redis://a:6379", "redis://b:6379"] } },
  "gyre": { "bus": { "type": "nats" }, "services": ["edge", "api"] }
}
`;

const YAML_CONFIG = `
http_server:
  port: 9000
  internal_port: "9001"
log:
  level: debug
client:
  token:
    hmac_secret_key: secret
  allowed_origins:
    - https://example.com
    - "http://localhost:*"
  ping_interval: 20s
  pong_timeout: 5s
  channel_limit: 64
channel:
  without_namespace:
    presence: true
  namespaces:
    - name: chat
      presence: true
      history_size: 100
      history_ttl: 300s
      force_recovery: true
    - name: news
      channel_regex: "^[a-z]+$"
      allowed_delta_types: [fossil]
proxies:
  - name: backend
    endpoint: http://localhost:3000/proxy
    timeout: 1.5s
    http:
      static_headers:
        X-Token: t
engine:
  type: redis
  redis:
    address: ["redis://a:6379", "redis://b:6379"]
gyre:
  bus:
    type: nats
  services: [edge, api]
`;

const TOML_CONFIG = `
[http_server]
port = 9000
internal_port = "9001"

[log]
level = "debug"

[client]
allowed_origins = ["https://example.com", "http://localhost:*"]
ping_interval = "20s"
pong_timeout = "5s"
channel_limit = 64

[client.token]
hmac_secret_key = "secret"

[channel.without_namespace]
presence = true

[[channel.namespaces]]
name = "chat"
presence = true
history_size = 100
history_ttl = "300s"
force_recovery = true

[[channel.namespaces]]
name = "news"
channel_regex = "^[a-z]+$"
allowed_delta_types = ["fossil"]

[[proxies]]
name = "backend"
endpoint = "http://localhost:3000/proxy"
timeout = "1.5s"
http = { static_headers = { X-Token = "t" } }

[engine]
type = "redis"
redis = { address = ["redis://a:6379", "redis://b:6379"] }

[gyre]
services = ["edge", "api"]
bus = { type = "nats" }
`;

test('formats - JSON, YAML and TOML of the same config load to equal configs', () => {
  const fromJson = parseConfigText(JSON_CONFIG, 'config.json');
  const fromYaml = parseConfigText(YAML_CONFIG, 'config.yaml');
  const fromYml = parseConfigText(YAML_CONFIG, 'config.yml');
  const fromToml = parseConfigText(TOML_CONFIG, 'config.toml');
  assert.deepEqual(fromYaml.config, fromJson.config);
  assert.deepEqual(fromYml.config, fromJson.config);
  assert.deepEqual(fromToml.config, fromJson.config);
  assert.deepEqual(fromJson.warnings.filter((w) => w.startsWith('unknown')), []);

  const c = fromJson.config;
  assert.equal(c.http_server.port, 9000);
  assert.equal(c.client.ping_interval, 20_000);
  assert.equal(c.proxies[0]?.timeout, 1500);
  assert.deepEqual(c.proxies[0]?.http.static_headers, { 'X-Token': 't' });
  assert.equal(c.channel.namespaces[0]?.history_ttl, 300_000);
  assert.deepEqual(c.engine.redis.address, ['redis://a:6379', 'redis://b:6379']);
  assert.equal(c.gyre.bus.type, 'nats');
});

test('formats - keys match case-insensitively and use the canonical name', () => {
  const { config, warnings } = parseConfigText('{"Client": {"Channel_Limit": 5, "TOKEN": {"HMAC_Secret_Key": "x"}}}', 'config.json');
  assert.equal(config.client.channel_limit, 5);
  assert.equal(config.client.token.hmac_secret_key, 'x');
  assert.deepEqual(warnings, []);
});

test('formats - extension picks the parser and unknown extensions are rejected', () => {
  assert.throws(() => parseConfigText('a = 1', 'config.ini'), /config\.ini: unsupported config format "\.ini"/);
  assert.throws(() => parseConfigText('{}', 'config'), /unsupported config format \(no file extension\)/);
  // JSON text in a .yaml file is valid YAML (flow mapping)
  assert.equal(parseConfigText('{"client": {"channel_limit": 7}}', 'c.yaml').config.client.channel_limit, 7);
});

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected ConfigError, got ${String(e)}`);
    assert.ok(!e.message.includes('\n'), 'message must be one line');
    return e;
  }
  assert.fail('expected an error');
}

const JSON_SYNTAX_CASES: Array<[string, string, string]> = [
  // [name, text, expected message]
  [
    'trailing comma in object',
    '{\n  "client": {\n    "token": {\n      "hmac_secret_key": "x"\n    },\n    "channel_limit": 5,\n  }\n}\n',
    "config.json: line 7, column 3: unexpected '}'",
  ],
  ['trailing comma in array', '{"a": [1, 2,]}', "config.json: line 1, column 13: unexpected ']'"],
  ['missing comma', '{\n  "a": 1\n  "b": 2\n}', `config.json: line 3, column 3: unexpected '"'`],
  ['missing value', '{"a": }', "config.json: line 1, column 7: unexpected '}'"],
  ['single quotes', "{'a': 1}", `config.json: line 1, column 2: unexpected "'"`],
  ['deep nesting', `{"a": ${'['.repeat(2000)}`, 'config.json: line 1, column 1006: nesting too deep'],
  ['unterminated string at end of file', '{\n  "a": "abc', 'config.json: line 2, column 12: unterminated string (the string that starts at line 2, column 8 never ends)'],
  [
    'unterminated string before newline',
    '{\n  "a": "abc\n}',
    'config.json: line 2, column 12: unterminated string (newline inside the string that starts at line 2, column 8)',
  ],
  ['empty file', '', 'config.json: line 1, column 1: unexpected end of input (the file is empty)'],
  ['whitespace only', '  \n\n', 'config.json: line 3, column 1: unexpected end of input'],
  ['unclosed object', '{"a": 1', 'config.json: line 1, column 8: unexpected end of input'],
  ['garbage after value', '{"a": 1} x', "config.json: line 1, column 10: unexpected 'x'"],
  ['comment', '{\n  // note\n  "a": 1\n}', "config.json: line 2, column 3: unexpected '/'"],
  ['bad literal', '{"a": tru}', "config.json: line 1, column 10: unexpected '}'"],
  ['leading zero', '{"a": 01}', "config.json: line 1, column 8: unexpected '1'"],
  ['bad escape', '{"a": "\\q"}', "config.json: line 1, column 8: invalid escape '\\q' in string"],
  ['column counts characters, not bytes', '{"ключ": "значение",}', "config.json: line 1, column 21: unexpected '}'"],
];

for (const [name, text, expected] of JSON_SYNTAX_CASES) {
  test(`formats - JSON syntax error reports line and column: ${name}`, () => {
    assert.equal(errorOf(() => parseConfigText(text, 'config.json')).message, expected);
  });
}

test('formats - a byte order mark before JSON is accepted', () => {
  assert.equal(parseConfigText('\uFEFF{"client": {"channel_limit": 3}}', 'config.json').config.client.channel_limit, 3);
});

test('formats - YAML syntax errors name the file, line and column', () => {
  const e = errorOf(() => parseConfigText('client:\n  channel_limit: 5\n   token: x\n', 'config.yaml'));
  assert.match(e.message, /^config\.yaml: line \d+, column \d+: /);
  const dup = errorOf(() => parseConfigText('client:\n  channel_limit: 5\n  channel_limit: 6\n', 'config.yml'));
  assert.match(dup.message, /^config\.yml: line 3, column 3: Map keys must be unique/);
  const flow = errorOf(() => parseConfigText('a: [1, 2\nb: 3\n', 'config.yaml'));
  assert.match(flow.message, /^config\.yaml: line 2, column 1: /);
});

test('formats - TOML syntax errors name the file, line and column', () => {
  const e = errorOf(() => parseConfigText('[client]\nchannel_limit = \n', 'config.toml'));
  assert.match(e.message, /^config\.toml: line 2, column \d+: /);
  const dup = errorOf(() => parseConfigText('[client]\na = 1\n[client]\n', 'config.toml'));
  assert.match(dup.message, /^config\.toml: line 3, column \d+: /);
});

test('formats - empty YAML and TOML files are an empty config', () => {
  assert.equal(parseConfigText('', 'config.yaml').config.client.channel_limit, 128);
  assert.equal(parseConfigText('# nothing\n', 'config.toml').config.client.channel_limit, 128);
});

test('formats - the top level must be an object', () => {
  assert.equal(errorOf(() => parseConfigText('[1, 2]', 'config.json')).message, 'config.json: the top level must be an object of config keys, got array');
  assert.equal(errorOf(() => parseConfigText('- a\n- b\n', 'config.yaml')).message, 'config.yaml: the top level must be an object of config keys, got array');
  assert.equal(errorOf(() => parseConfigText('"x"', 'config.json')).message, 'config.json: the top level must be an object of config keys, got string');
});

test('formats - TOML dates are rejected with the key', () => {
  assert.equal(
    errorOf(() => parseConfigText('[client]\nuser_id_http_header = 1979-05-27\n', 'config.toml')).message,
    'client.user_id_http_header: expected string, got date',
  );
});

test('formats - YAML anchors and merge keys work', () => {
  const { config } = parseConfigText(
    [
      'defaults: &ns',
      '  presence: true',
      '  history_size: 10',
      '  history_ttl: 60s',
      'channel:',
      '  namespaces:',
      '    - <<: *ns',
      '      name: chat',
      '    - <<: *ns',
      '      name: news',
      '      presence: false',
    ].join('\n'),
    'config.yaml',
  );
  assert.deepEqual(
    config.channel.namespaces.map((n) => [n.name, n.presence, n.history_size, n.history_ttl]),
    [
      ['chat', true, 10, 60_000],
      ['news', false, 10, 60_000],
    ],
  );
});
