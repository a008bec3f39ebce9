/**
 * Command-line parsing for every `gyre` command. Flags are declared per command; anything
 * undeclared is an error that names the flag, so a typo never silently runs a different setup.
 */
export class CliError extends Error {}

export interface FlagSpec {
  /** Long name without dashes, e.g. `config` or `http_server.port`. */
  name: string;
  short?: string;
  type: 'string' | 'bool';
  /** Dotted config key the flag overrides (serve flags), when it is one. */
  configKey?: string;
}

export interface ParsedArgs {
  flags: Map<string, string>;
  positionals: string[];
}

const boolWords = new Set(['true', 'false', '1', '0', 't', 'f', 'TRUE', 'FALSE', 'True', 'False', 'T', 'F']);

export function parseArgs(argv: string[], specs: FlagSpec[], command: string): ParsedArgs {
  const byLong = new Map(specs.map((s) => [s.name, s]));
  const byShort = new Map(specs.filter((s) => s.short).map((s) => [s.short!, s]));
  const flags = new Map<string, string>();
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positionals.push(arg);
      continue;
    }
    const long = arg.startsWith('--');
    const body = arg.slice(long ? 2 : 1);
    const eq = body.indexOf('=');
    const name = eq >= 0 ? body.slice(0, eq) : body;
    const spec = long ? byLong.get(name) : byShort.get(name);
    if (!spec) throw new CliError(`unknown flag ${long ? '--' : '-'}${name} for "${command}"`);
    let value: string;
    if (eq >= 0) {
      value = body.slice(eq + 1);
    } else if (spec.type === 'bool') {
      const next = argv[i + 1];
      // `--flag false` is accepted like Go's pflag `--flag=false`.
      if (next !== undefined && boolWords.has(next)) {
        value = next;
        i++;
      } else {
        value = 'true';
      }
    } else {
      const next = argv[i + 1];
      if (next === undefined || (next.startsWith('-') && next !== '-' && !/^-\d/.test(next))) {
        throw new CliError(`flag ${arg} needs a value`);
      }
      value = next;
      i++;
    }
    if (spec.type === 'bool' && !boolWords.has(value)) {
      throw new CliError(`flag --${spec.name}: invalid boolean "${value}"`);
    }
    flags.set(spec.name, value);
  }
  return { flags, positionals };
}

/** The config overrides (dotted key → string value) that the given flags carry. */
export function configOverrides(parsed: ParsedArgs, specs: FlagSpec[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const spec of specs) {
    const v = parsed.flags.get(spec.name);
    if (spec.configKey && v !== undefined) out[spec.configKey] = v;
  }
  return out;
}
