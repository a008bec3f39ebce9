// Locating the server binaries the harness runs.
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Thrown when a required binary is neither on PATH nor in the usual system directories. */
export class BinaryNotFoundError extends Error {
  constructor(
    readonly binary: string,
    readonly searched: readonly string[],
    envVar: string,
  ) {
    super(
      `${binary} not found: looked on PATH and in ${searched.join(', ')}. ` +
        `Install it (e.g. \`apt-get install ${binary}\`) or set ${envVar}=/path/to/${binary}.`,
    );
    this.name = 'BinaryNotFoundError';
  }
}

const SYSTEM_DIRS = ['/usr/sbin', '/usr/bin', '/usr/local/bin', '/usr/local/sbin', '/opt/homebrew/bin'];

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The path of `name`: `explicit` when given (it must exist), else the env override `envVar`, else the
 * first hit on PATH, else the system directories. Throws BinaryNotFoundError with what was searched.
 */
export function findBinary(name: string, envVar: string, explicit?: string): string {
  const chosen = explicit ?? process.env[envVar];
  if (chosen) {
    if (executable(chosen)) return chosen;
    throw new BinaryNotFoundError(name, [chosen], envVar);
  }
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), ...SYSTEM_DIRS];
  const seen = new Set<string>();
  for (const dir of dirs) {
    if (seen.has(dir)) continue;
    seen.add(dir);
    const candidate = join(dir, name);
    if (executable(candidate)) return candidate;
  }
  throw new BinaryNotFoundError(name, [...seen], envVar);
}
