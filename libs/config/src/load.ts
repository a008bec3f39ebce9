/**
 * Loading: defaults < file < environment < explicit overrides (CLI flags). The result is either a
 * complete, validated config or a ConfigError; nothing half-configured ever comes back.
 *
 * Order of work: decode the file (type-checked, unknown keys collected, absent keys zero), apply env
 * vars, apply overrides, then fill defaults into whatever is still zero (Centrifugo semantics, see
 * applyDefaults), check enum values and cross-key rules, and build the channel resolution index.
 */
import { readFileSync } from 'node:fs';
import { ConfigError } from './errors.js';
import { decodeValue, type DecodeContext } from './decode.js';
import { applyEnv, applyOverrides } from './env.js';
import { formatFromFilename, parseConfigSource } from './formats.js';
import { configSchema, type GyreConfig } from './schema.js';
import { applyDefaults, zeroValue } from './schema_kit.js';
import { validateConfig } from './validate.js';
import { channelIndex } from './channels.js';

export interface LoadOptions {
  /** Config file (.json, .yaml, .yml, .toml). Omitted or '': environment and overrides only. */
  path?: string;
  /** Environment to read CENTRIFUGO_* / GYRE_* from; default process.env. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Dotted key → string value, highest precedence (command-line flags). */
  overrides?: Readonly<Record<string, string>>;
  /** Unknown keys are errors instead of warnings (checkconfig --strict). */
  strict?: boolean;
  /** A missing config file is an error instead of a warning (checkconfig). */
  requireFile?: boolean;
}

export interface LoadResult {
  config: GyreConfig;
  /** Things to log at WARN: unknown keys and env vars, a missing file, risky settings. */
  warnings: string[];
  /** The file the config was read from, or null when none was read. */
  source: string | null;
}

export function loadConfig(opts: LoadOptions = {}): LoadResult {
  const env = opts.env ?? process.env;
  const warnings: string[] = [];
  const path = opts.path ?? '';
  if (path === '') {
    if (opts.requireFile) throw new ConfigError('no config file given');
    return build(null, '', env, opts, warnings, null);
  }
  formatFromFilename(path); // an unsupported extension is an error even when the file is missing
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      if (opts.requireFile) throw new ConfigError(`config file ${path} not found`);
      warnings.push(`config file ${path} not found, continuing with environment and flag options`);
      return build(null, path, env, opts, warnings, null);
    }
    throw new ConfigError(`cannot read config file ${path}: ${code ?? (e as Error).message}`);
  }
  return build(parseConfigSource(text, path), path, env, opts, warnings, path);
}

/**
 * Loads config from text, as if read from a file named `filename` (the extension picks the
 * format). For tests and tools; unlike loadConfig the environment defaults to empty.
 */
export function parseConfigText(
  text: string,
  filename: string,
  opts: Omit<LoadOptions, 'path' | 'requireFile'> = {},
): LoadResult {
  const warnings: string[] = [];
  return build(parseConfigSource(text, filename), filename, opts.env ?? {}, opts, warnings, filename);
}

/** The config with every default and nothing else set (no file, no environment). */
export function defaultConfig(): GyreConfig {
  return build(null, '', {}, {}, [], null).config;
}

function build(
  raw: Record<string, unknown> | null,
  filename: string,
  env: Readonly<Record<string, string | undefined>>,
  opts: Pick<LoadOptions, 'overrides' | 'strict'>,
  warnings: string[],
  source: string | null,
): LoadResult {
  const ctx: DecodeContext = { source: '', unknownKeys: [], warnings, env };
  const config = (raw ? decodeValue(configSchema, raw, '', ctx) : zeroValue(configSchema)) as Record<string, unknown>;
  const unknown = ctx.unknownKeys.map((k) => (filename ? `${k} in ${filename}` : k));
  unknown.push(...applyEnv(config, env, warnings));
  if (opts.overrides) unknown.push(...applyOverrides(config, opts.overrides, env, warnings));

  if (unknown.length > 0) {
    if (opts.strict) {
      const shown = unknown.slice(0, 5).join(', ');
      const more = unknown.length > 5 ? ` and ${unknown.length - 5} more` : '';
      throw new ConfigError(`unknown key${unknown.length > 1 ? 's' : ''}: ${shown}${more}`);
    }
    for (const k of unknown) warnings.push(`unknown key ${k}`);
  }

  applyDefaults(configSchema, config);
  const typed = config as GyreConfig;
  warnings.push(...validateConfig(typed));
  channelIndex(typed);
  return { config: typed, warnings, source };
}
