/**
 * The key list, generated from the schema: every dotted key with its type, default and env
 * variable names. Array item fields are listed as `channel.namespaces[].history_size`.
 */
import { envName, envNamesFor } from './env.js';
import { configSchema } from './schema.js';
import { walkSchema, type ArrayNode, type LeafNode } from './schema_kit.js';

export interface ConfigKey {
  key: string;
  type: string;
  /** As a user would write it: Go syntax for durations ("720h"), '' / 0 / false / [] for none. */
  default: string | number | boolean | readonly string[];
  /** Environment variables that set it (named-array items use a <NAME> placeholder). */
  env: string[];
  doc?: string;
}

function typeName(node: LeafNode | ArrayNode): string {
  switch (node.kind) {
    case 'string':
      return node.oneOf ? `string (${node.oneOf.map((v) => JSON.stringify(v)).join(' | ')})` : 'string';
    case 'int':
      return 'int';
    case 'bool':
      return 'bool';
    case 'duration':
      return node.wholeSeconds ? 'duration (whole seconds)' : 'duration';
    case 'stringList':
      return 'string list';
    case 'stringMap':
      return 'string map';
    case 'keyValues':
      return 'key-values';
    case 'array':
      return node.named ? 'array of named objects' : 'array of objects';
  }
}

function defaultValue(node: LeafNode | ArrayNode): ConfigKey['default'] {
  switch (node.kind) {
    case 'string':
    case 'int':
    case 'bool':
    case 'duration':
    case 'stringList':
      return node.default;
    default:
      return [];
  }
}

export function configKeys(): ConfigKey[] {
  const out: ConfigKey[] = [];
  const namedArrays = new Set<string>();
  walkSchema(configSchema, (path, node) => {
    if (node.kind === 'array' && node.named) namedArrays.add(path);
    let env = envNamesFor(path);
    const arrayAt = path.indexOf('[]');
    if (arrayAt !== -1) {
      const arrayPath = path.slice(0, arrayAt);
      const field = path.slice(arrayAt + 3);
      env =
        namedArrays.has(arrayPath) && !field.includes('[]') && field !== 'name'
          ? [`CENTRIFUGO_${envName(arrayPath.split('.'))}_<NAME>_${envName(field.split('.'))}`]
          : [];
    }
    out.push({
      key: path,
      type: typeName(node),
      default: defaultValue(node),
      env,
      ...(node.doc ? { doc: node.doc } : {}),
    });
  });
  return out;
}

/** The key list as a Markdown table (for docs/configuration.md). */
export function configDocs(): string {
  const cell = (v: unknown): string => {
    const s = typeof v === 'string' ? v : JSON.stringify(v);
    return s === '' || s === '[]' || s === '0' || s === 'false' ? '—' : `\`${s.replace(/\|/g, '\\|')}\``;
  };
  const rows = configKeys().map((k) => {
    // gyre keys show their short GYRE_ form; the others the Centrifugo name users already know.
    const env = k.key.startsWith('gyre.') ? k.env[k.env.length - 1] : k.env[0];
    return `| \`${k.key}\` | ${k.type.replace(/\|/g, '\\|')} | ${cell(k.default)} | ${env ? `\`${env}\`` : ''} | ${k.doc ?? ''} |`;
  });
  return ['| Key | Type | Default | Env | Meaning |', '| --- | --- | --- | --- | --- |', ...rows].join('\n');
}

/** The whole KEYS.md file: a header and the key table. */
export function keysDocument(): string {
  return [
    '# Gyre config keys',
    '',
    'Generated from `src/schema.ts` by `node --conditions=gyre-source --import tsx libs/config/scripts/keys-doc.ts`;',
    'do not edit by hand (a test fails when this file is stale).',
    '',
    'Durations are Go duration strings in files ("500ms", "25s", "1h30m"; a bare number is nanoseconds) and',
    'milliseconds in the loaded config. Keys whose default is non-empty cannot be set to their zero value:',
    'zero is refilled with the default, as in Centrifugo. Every key can also be set through',
    '`CENTRIFUGO_<KEY>` or `GYRE_<KEY>` (upper case, `.` → `_`; GYRE_ wins).',
    '',
    configDocs(),
    '',
  ].join('\n');
}
