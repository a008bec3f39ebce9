/**
 * The `*_pem` values of the TLS object (server.md §2.8): raw PEM, base64-encoded PEM or a file
 * path, tried in that order as Centrifugo does. Read when a listener or backend is built, so a bad
 * value fails the start with the dotted key, never a request later.
 */
import { existsSync, readFileSync } from 'node:fs';
import { ConfigError } from './errors.js';

/** The PEM bytes of `value`, or null when it is empty. Throws ConfigError naming `key`. */
export function readPem(value: string, key: string): Buffer | null {
  if (value === '') return null;
  if (value.includes('-----BEGIN')) return Buffer.from(value);
  if (existsSync(value)) {
    try {
      return readFileSync(value);
    } catch (err) {
      throw new ConfigError(`${key}: cannot read ${value}: ${(err as Error).message}`, key);
    }
  }
  const decoded = Buffer.from(value, 'base64');
  if (decoded.toString('latin1').includes('-----BEGIN')) return decoded;
  throw new ConfigError(`${key} is neither PEM, base64-encoded PEM nor a readable file`, key);
}
