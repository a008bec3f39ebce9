import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

/** Gyre's own version (services/gyre/package.json). */
export const VERSION: string = pkg.version;
/** The Centrifugo release whose protocols and config Gyre follows. */
export const CENTRIFUGO_COMPAT = '6.9';
