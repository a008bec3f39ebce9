import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { generateKeyPairSync } from 'node:crypto';
import { createTokenVerifier, defaultTokenConfig, TokenConfigError, type TokenConfig } from '@gyre/auth';
import { validateJwksEndpointSafety } from '../src/jwks_template.js';
import { compileGoRegex as compileGo } from '@gyre/config';

function compileGoRegex(pattern: string): RegExp {
  const r = compileGo(pattern);
  if (!r.ok) throw new Error(r.reason);
  return r.regex;
}
import { keyPair, type KeyPair } from './helpers.js';

function configError(cfg: Partial<TokenConfig>, reason?: RegExp): void {
  assert.throws(() => createTokenVerifier(cfg), (err: unknown) => {
    assert.ok(err instanceof TokenConfigError, `expected TokenConfigError, got ${String(err)}`);
    if (reason) assert.match(err.message, reason);
    return true;
  });
}

describe('token config', () => {
  let rsa: KeyPair;
  let ec: KeyPair;
  before(async () => {
    [rsa, ec] = await Promise.all([keyPair('RS256'), keyPair('ES256')]);
  });

  it('config - the default config builds a verifier that accepts nothing signed', () => {
    const v = createTokenVerifier(defaultTokenConfig());
    v.close();
    assert.equal(defaultTokenConfig().hmac_previous_secret_key_valid_until, 0);
  });

  it('config - audience with audience_regex, or issuer with issuer_regex, is refused', () => {
    configError({ audience: 'a', audience_regex: 'a' }, /audience/);
    configError({ issuer: 'a', issuer_regex: 'a' }, /issuer/);
  });

  it('config - regexes must compile as Go regexps', () => {
    configError({ issuer_regex: '(' }, /issuer_regex/);
    configError({ audience_regex: '(?=x)' }, /audience_regex/);
    configError({ audience_regex: 'a(?i)b' }, /audience_regex/);
    configError({ audience_regex: '\\C' }, /audience_regex/);
    // Unicode classes are RE2 too, and translate (the shared translator of libs/config).
    assert.doesNotThrow(() => createTokenVerifier({ audience_regex: '^\\pL+$' }));
    configError({ audience_regex: '(a)\\1' }, /audience_regex/);
  });

  it('config - user_id_claim must match ^[a-zA-Z_]+$', () => {
    configError({ user_id_claim: 'user.id' }, /user_id_claim/);
    configError({ user_id_claim: 'id1' }, /user_id_claim/);
    createTokenVerifier({ user_id_claim: 'user_id' }).close();
  });

  it('config - PEM keys must be public keys of the right type', () => {
    configError({ rsa_public_key: 'not a pem' }, /rsa_public_key/);
    configError({ rsa_public_key: ec.pem }, /not an RSA key/);
    configError({ ecdsa_public_key: rsa.pem }, /not an ECDSA key/);
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    configError({ rsa_public_key: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string }, /private key/);
    const k1 = generateKeyPairSync('ec', { namedCurve: 'secp256k1' });
    configError({ ecdsa_public_key: k1.publicKey.export({ type: 'spki', format: 'pem' }) as string }, /curve/);
    const pkcs1 = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'pkcs1', format: 'pem' }) as string;
    createTokenVerifier({ rsa_public_key: pkcs1, ecdsa_public_key: ec.pem }).close();
  });

  it('config - jwks_public_endpoint must be an http(s) URL and placeholders must come from named groups', () => {
    configError({ jwks_public_endpoint: 'ftp://example.com/jwks' }, /scheme/);
    configError({ jwks_public_endpoint: 'not a url' }, /URL/);
    configError({ jwks_public_endpoint: 'https://example.com/{{tenant}}/jwks' }, /tenant/);
    createTokenVerifier({ jwks_public_endpoint: 'https://example.com/{{tenant}}/jwks', issuer_regex: '^(?P<tenant>a|b)$' }).close();
  });

  it('config - hmac_previous_secret_key_valid_until must be a non-negative number', () => {
    configError({ hmac_previous_secret_key_valid_until: -1 }, /valid_until/);
    configError({ hmac_previous_secret_key_valid_until: Number.NaN }, /valid_until/);
  });

  it('jwks safety - unsafe dynamic endpoints are refused unless the check is skipped', () => {
    configError({ jwks_public_endpoint: 'https://{{host}}/.well-known/jwks.json', issuer_regex: '^(?P<host>[a-z0-9.-]+)$' }, /JWKS endpoint URL template/);
    configError({ jwks_public_endpoint: 'https://x.com/{{tenant}}/jwks.json', issuer_regex: '^(?P<tenant>.+)$' }, /named group "tenant"/);
    createTokenVerifier({
      jwks_public_endpoint: 'https://{{host}}/.well-known/jwks.json', issuer_regex: '^(?P<host>[a-z0-9.-]+)$',
      insecure_skip_jwks_endpoint_safety_check: true,
    }).close();
  });

  // The upstream table (Centrifugo v6.7 validate_test.go), as behaviour.
  const table: Array<[string, string, string, string, boolean]> = [
    ['no placeholders', 'https://example.com/.well-known/jwks.json', '', '', true],
    ['placeholder but no regex', 'https://{{tenant}}.example.com/jwks', '', '', true],
    ['named group not used as placeholder', 'https://fixed-host.example.com/.well-known/jwks.json', '^https://(?P<anything>.+)\\.example\\.com$', '', true],
    ['entire host with explicit alternation', 'https://{{host}}/.well-known/jwks.json', '^(?P<host>auth1\\.example\\.com|auth2\\.example\\.com)$', '', true],
    ['entire host with single literal', 'https://{{host}}/.well-known/jwks.json', '^(?P<host>auth\\.example\\.com)$', '', true],
    ['entire host with character class', 'https://{{host}}/.well-known/jwks.json', '^(?P<host>[a-zA-Z0-9.-]+)$', '', false],
    ['entire host with dot-plus', 'https://{{host}}/.well-known/jwks.json', '^(?P<host>.+)$', '', false],
    ['subdomain with explicit alternation', 'https://{{tenant}}.example.com/.well-known/jwks.json', '^https://(?P<tenant>acme|globex|initech)\\.example\\.com$', '', true],
    ['subdomain with character class', 'https://{{tenant}}.example.com/.well-known/jwks.json', '^https://(?P<tenant>[a-zA-Z0-9-]+)\\.example\\.com$', '', false],
    ['audience regex with wildcard', 'https://{{realm}}.auth.example.com/.well-known/jwks.json', '', '^(?P<realm>\\S+)\\.auth\\.example\\.com$', false],
    ['audience regex with alternation', 'https://{{realm}}.auth.example.com/.well-known/jwks.json', '', '^(?P<realm>us|eu|ap)\\.auth\\.example\\.com$', true],
    ['path with explicit alternation', 'https://fixed-host.com/tenants/{{tenant}}/jwks.json', '^(?P<tenant>acme|globex|initech)$', '', true],
    ['path with character class', 'https://fixed-host.com/tenants/{{tenant}}/jwks.json', '^(?P<tenant>[a-zA-Z0-9_-]+)$', '', false],
    ['path with dot-plus', 'https://fixed-host.com/tenants/{{tenant}}/jwks.json', '^(?P<tenant>.+)$', '', false],
    ['common prefix single char suffix', 'https://keycloak:443/{{realm}}/protocol/openid-connect/certs', 'https://example.com/auth/realms/(?P<realm>test1|test2)', '', true],
    ['one value is prefix of another', 'https://keycloak:443/{{realm}}/certs', 'https://example.com/auth/realms/(?P<realm>test|testing)', '', true],
    ['prefix chain', 'https://host/{{tier}}/jwks', '^(?P<tier>a|ab|abc)$', '', true],
    ['alternation with empty branch', 'https://host/{{tier}}/jwks', '^(?P<tier>|foo)$', '', true],
    ['nested unnamed groups', 'https://host/{{tier}}/jwks', '^(?P<tier>(foo|bar)baz|(?:foo|bar)qux)$', '', true],
    ['optional suffix', 'https://host/{{realm}}/jwks', '^(?P<realm>foo?)$', '', false],
    ['repetition', 'https://host/{{realm}}/jwks', '^(?P<realm>a{3})$', '', false],
    ['star', 'https://host/{{realm}}/jwks', '^(?P<realm>test.*)$', '', false],
    ['any char in alternation', 'https://host/{{realm}}/jwks', '^(?P<realm>foo|.)$', '', false],
    ['digit shorthand', 'https://host/{{realm}}/jwks', '^(?P<realm>\\d+)$', '', false],
    ['word shorthand', 'https://host/{{realm}}/jwks', '^(?P<realm>\\w+)$', '', false],
    ['unicode property', 'https://host/{{realm}}/jwks', '^(?P<realm>\\pL+)$', '', false],
    ['anchor inside the group', 'https://host/{{realm}}/jwks', '(?P<realm>^foo)', '', false],
    ['escaped dot is fine', 'https://{{host}}/jwks', '^(?P<host>auth\\.example\\.com)$', '', true],
    ['Go 1.22 (?<name>) syntax', 'https://host/{{realm}}/jwks', '^(?<realm>a|b)$', '', true],
  ];
  for (const [name, endpoint, iss, aud, safe] of table) {
    it(`jwks safety - ${name} is ${safe ? 'accepted' : 'refused'}`, () => {
      if (safe) validateJwksEndpointSafety(endpoint, iss, aud);
      else assert.throws(() => validateJwksEndpointSafety(endpoint, iss, aud), /JWKS endpoint URL template/);
    });
  }
});

describe('go regex translation', () => {
  it('go regex - (?P<name>) groups, leading flags, \\A and \\z translate', () => {
    const re = compileGoRegex('(?i)\\Ahttps://(?P<realm>acme|globex)\\.example\\.com\\z');
    assert.equal(re.exec('https://ACME.example.com')?.groups?.['realm'], 'ACME');
    assert.equal(re.exec('xhttps://acme.example.com'), null);
  });

  it('go regex - POSIX classes, \\Q..\\E, octal and \\x{} escapes translate', () => {
    assert.ok(compileGoRegex('^[[:alpha:]]+$').test('abcXYZ'));
    assert.ok(!compileGoRegex('^[[:alpha:]]+$').test('ab1'));
    assert.ok(compileGoRegex('^\\Qa.b*c\\E$').test('a.b*c'));
    assert.ok(!compileGoRegex('^\\Qa.b*c\\E$').test('aXbbc'));
    assert.ok(compileGoRegex('^\\101\\x{42}\\x43$').test('ABC'));
    assert.ok(compileGoRegex('^[]a]+$').test(']a]'));
  });

  it('go regex - the search is unanchored unless the pattern anchors', () => {
    assert.ok(compileGoRegex('example').test('https://example.com'));
    assert.ok(!compileGoRegex('^example$').test('https://example.com'));
  });
});
