/**
 * Reads config text in the three formats Centrifugo accepts, chosen by file extension: JSON,
 * YAML (.yaml/.yml) and TOML. Syntax errors become one-line ConfigErrors that name the file, the
 * line and the column: `config.json: line 7, column 3: unexpected '}'`.
 */
import { parse as parseToml } from 'smol-toml';
import { parse as parseYaml } from 'yaml';
import { ConfigError, describeType } from './errors.js';
import { findJsonSyntaxError } from './json_syntax.js';

export type ConfigFormat = 'json' | 'yaml' | 'toml';

export function formatFromFilename(filename: string): ConfigFormat {
  const lower = filename.toLowerCase();
  if (lower.endsWith('.json')) return 'json';
  if (lower.endsWith('.yaml') || lower.endsWith('.yml')) return 'yaml';
  if (lower.endsWith('.toml')) return 'toml';
  const dot = lower.lastIndexOf('.');
  const ext = dot > lower.lastIndexOf('/') && dot >= 0 ? lower.slice(dot) : '';
  throw new ConfigError(
    `${filename}: unsupported config format${ext ? ` "${ext}"` : ' (no file extension)'}; use .json, .yaml, .yml or .toml`,
  );
}

/** Parses config text into a plain value tree (objects, arrays, strings, numbers, booleans). */
export function parseConfigSource(text: string, filename: string): Record<string, unknown> {
  const format = formatFromFilename(filename);
  // A UTF-8 byte order mark is not part of the document in any of the formats.
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  let value: unknown;
  switch (format) {
    case 'json':
      value = parseJson(body, filename);
      break;
    case 'yaml':
      value = parseYamlText(body, filename);
      break;
    case 'toml':
      value = parseTomlText(body, filename);
      break;
  }
  if (value === null || value === undefined) return {}; // an empty YAML document
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new ConfigError(`${filename}: the top level must be an object of config keys, got ${describeType(value)}`);
  }
  return value as Record<string, unknown>;
}

function parseJson(text: string, filename: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    const found = findJsonSyntaxError(text);
    if (found) throw new ConfigError(`${filename}: line ${found.line}, column ${found.column}: ${found.message}`);
    // The scanner and V8 disagree (should not happen): still report, without a position.
    throw new ConfigError(`${filename}: invalid JSON: ${(e as Error).message}`);
  }
}

function parseYamlText(text: string, filename: string): unknown {
  try {
    // YAML 1.2 core schema (as yaml.v3 in Centrifugo): "yes"/"no" stay strings, duplicate keys
    // fail, and `<<: *anchor` merge keys work (handy for sharing namespace options).
    return parseYaml(text, { prettyErrors: true, uniqueKeys: true, merge: true, maxAliasCount: 1000, logLevel: 'error' });
  } catch (e) {
    const err = e as { linePos?: Array<{ line: number; col: number }>; message?: string };
    const firstLine = String(err.message ?? e).split('\n')[0] ?? '';
    const reason = firstLine.replace(/ at line \d+, column \d+:?\s*$/, '').trim();
    const pos = err.linePos?.[0];
    if (pos) throw new ConfigError(`${filename}: line ${pos.line}, column ${pos.col}: ${reason}`);
    throw new ConfigError(`${filename}: invalid YAML: ${reason}`);
  }
}

function parseTomlText(text: string, filename: string): unknown {
  try {
    return parseToml(text);
  } catch (e) {
    const err = e as { line?: number; column?: number; message?: string };
    const firstLine = String(err.message ?? e).split('\n')[0] ?? '';
    const reason = firstLine.replace(/^Invalid TOML document:\s*/, '').trim();
    if (typeof err.line === 'number') {
      throw new ConfigError(`${filename}: line ${err.line}, column ${err.column ?? 1}: ${reason}`);
    }
    throw new ConfigError(`${filename}: invalid TOML: ${reason}`);
  }
}
