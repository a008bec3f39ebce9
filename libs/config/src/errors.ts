/**
 * The one error type the config library throws. Its message is always a single line that names
 * where the problem is: a file with line and column, an environment variable, or the dotted key
 * (with array indexes) whose value is wrong. Callers print `err.message` and exit non-zero.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  /** Dotted key the error is about (`channel.namespaces[1].name`), when there is one. */
  readonly key: string | undefined;

  constructor(message: string, key?: string) {
    // One line, always: values quoted into messages may carry newlines.
    super(message.replace(/\r?\n/g, ' ').trim());
    this.key = key;
  }
}

/** Describes a raw value's type the way messages say it: `string`, `integer`, `array`, ... */
export function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (value instanceof Date) return 'date';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

/** Quotes a value for an error message, keeping it on one line and reasonably short. */
export function quote(value: unknown): string {
  let s: string;
  try {
    s = typeof value === 'string' ? JSON.stringify(value) : JSON.stringify(value) ?? String(value);
  } catch {
    s = String(value);
  }
  return s.length > 120 ? `${s.slice(0, 117)}...` : s;
}
