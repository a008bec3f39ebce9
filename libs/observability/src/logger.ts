import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger } from 'pino';

/** Centrifugo's `log.level` values; `none` silences everything. */
export type LogLevel = 'none' | 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

export interface LoggerOptions {
  level: LogLevel | string;
  /** Human-readable output. Default: only when stdout is a TTY, so pods and CI get JSON lines. */
  pretty?: boolean;
  /** Destination file (`log.file`); stdout when empty. */
  file?: string;
  name?: string;
}

const levels: Record<string, LevelWithSilent> = {
  none: 'silent', trace: 'trace', debug: 'debug', info: 'info', warn: 'warn', error: 'error', fatal: 'fatal',
};

/**
 * Makes the process logger. Secrets must never reach it: callers log key names, never values,
 * and tokens only as their claims' user id.
 */
export function createLogger(opts: LoggerOptions): Logger {
  const level = levels[opts.level] ?? 'info';
  const pretty = opts.pretty ?? (process.stdout.isTTY === true && !opts.file);
  const base = { name: opts.name ?? 'gyre' };
  if (pretty) {
    return pino({ level, ...base, transport: { target: 'pino-pretty', options: { colorize: true, destination: 1 } } });
  }
  if (opts.file) {
    return pino({ level, ...base }, pino.destination({ dest: opts.file, mkdir: true, sync: false }));
  }
  return pino({ level, ...base }, pino.destination({ dest: 1, sync: false }));
}

/** A logger that drops everything, for tests and library defaults. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
