/**
 * `genconfig`: a minimal starting config, as Centrifugo's genconfig writes it: random secrets for
 * connection tokens, the admin UI and the server API, no allowed origins, admin off.
 */
import { randomBytes } from 'node:crypto';
import { stringify as stringifyToml } from 'smol-toml';
import { stringify as stringifyYaml } from 'yaml';

export type GenconfigFormat = 'json' | 'yaml' | 'toml';

/** A random string of `length` characters from the base64url alphabet (6 random bits each). */
export function randomSecret(length: number): string {
  return randomBytes(Math.ceil((length * 3) / 4)).toString('base64url').slice(0, length);
}

export function genconfig(format: GenconfigFormat = 'json'): string {
  const cfg = {
    client: {
      token: { hmac_secret_key: randomSecret(64) },
      allowed_origins: [] as string[],
    },
    admin: {
      enabled: false,
      password: randomSecret(16),
      secret: randomSecret(64),
    },
    http_api: {
      key: randomSecret(64),
    },
  };
  switch (format) {
    case 'json':
      return `${JSON.stringify(cfg, null, 2)}\n`;
    case 'yaml':
      return stringifyYaml(cfg);
    case 'toml':
      return stringifyToml(cfg).replace(/\n*$/, '\n');
  }
}
