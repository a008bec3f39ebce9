/**
 * The `gyre` command line. Every command exits 0 on success and 1 on any error, with a one-line
 * reason on stderr (`gyre: <reason>`), never a stack trace for user mistakes.
 */
import { existsSync, readFileSync, writeFileSync, unlinkSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { extname } from 'node:path';
import { loadConfig, genconfig, ConfigError, type GyreConfig } from '@gyre/config';
import { createTokenVerifier, generateConnectToken, generateSubscriptionToken } from '@gyre/auth';
import { createLogger } from '@gyre/observability';
import { CliError, configOverrides, parseArgs, type FlagSpec } from './cli_args.js';
import { serveFlags } from './commands/serve_flags.js';
import { startNode } from './node.js';
import { VERSION, CENTRIFUGO_COMPAT } from './version.js';

const configFlag: FlagSpec = { name: 'config', short: 'c', type: 'string' };
const DEFAULT_CONFIG = 'config.json';

const usage = `Usage: gyre [command] [flags]

Commands:
  serve        run the server (default)            -c CONFIG, -p PORT, --log.level, --services edge,api,...
  genconfig    write a config with fresh secrets    -c FILE (default config.json; .json, .yaml, .yml, .toml)
  checkconfig  validate a config                    -c FILE, -s/--strict (unknown keys are errors)
  gentoken     HS256 connection token               -c CONFIG, -u USER, -t/--ttl SECONDS (default 604800, -1: no exp), -q
  gensubtoken  HS256 subscription token             -c CONFIG, -u USER, -s CHANNEL, -t/--ttl SECONDS, -q
  checktoken   verify a connection token            -c CONFIG TOKEN
  checksubtoken verify a subscription token         -c CONFIG TOKEN
  version      print the version
`;

type Out = { out: (s: string) => void; err: (s: string) => void };
const stdio: Out = { out: (s) => process.stdout.write(s + '\n'), err: (s) => process.stderr.write(s + '\n') };

export async function main(argv: string[], io: Out = stdio): Promise<number> {
  const [first, ...rest] = argv;
  const command = first === undefined || first.startsWith('-') ? 'serve' : first;
  const args = command === first ? rest : argv;
  try {
    switch (command) {
      case 'serve': return await serve(args, io);
      case 'genconfig': return genconfigCommand(args, io);
      case 'checkconfig': return checkconfig(args, io);
      case 'gentoken': return await gentoken(args, io, false);
      case 'gensubtoken': return await gentoken(args, io, true);
      case 'checktoken': return await checktoken(args, io, false);
      case 'checksubtoken': return await checktoken(args, io, true);
      case 'version': io.out(`Gyre v${VERSION} (Centrifugo v${CENTRIFUGO_COMPAT} compatible, Node ${process.version})`); return 0;
      case 'help': case '--help': io.out(usage); return 0;
      default: throw new CliError(`unknown command "${command}" (try "gyre help")`);
    }
  } catch (err) {
    if (err instanceof CliError || err instanceof ConfigError) {
      io.err(`gyre: ${err.message}`);
      return 1;
    }
    io.err(`gyre: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}

function noPositionals(positionals: string[], command: string): void {
  if (positionals.length) throw new CliError(`unexpected argument "${positionals[0]}" for "${command}"`);
}

/**
 * Like Centrifugo (godotenv), a `.env` file in the working directory is read into the environment
 * first; variables already set in the real environment win.
 */
export function loadDotEnv(env: NodeJS.ProcessEnv, file = '.env'): void {
  if (!existsSync(file)) return;
  let parsed: Record<string, string>;
  try {
    parsed = parseEnv(readFileSync(file, 'utf8')) as Record<string, string>;
  } catch (err) {
    throw new CliError(`cannot read ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  for (const [k, v] of Object.entries(parsed)) if (env[k] === undefined) env[k] = v;
}

function load(path: string, opts: { strict?: boolean; requireFile?: boolean; overrides?: Record<string, string> } = {}) {
  loadDotEnv(process.env);
  return loadConfig({ path, env: process.env, overrides: opts.overrides ?? {}, strict: opts.strict ?? false, requireFile: opts.requireFile ?? false });
}

async function serve(argv: string[], io: Out): Promise<number> {
  const parsed = parseArgs(argv, serveFlags, 'serve');
  noPositionals(parsed.positionals, 'serve');
  const overrides = configOverrides(parsed, serveFlags);
  if (overrides['gyre.services'] !== undefined) overrides['gyre.services'] = overrides['gyre.services'].split(',').map((s) => s.trim()).join(' ');
  const { config, warnings, source } = load(parsed.flags.get('config') ?? DEFAULT_CONFIG, { overrides });
  const logger = createLogger({ level: config.log.level, file: config.log.file });
  if (!source) logger.warn({ path: parsed.flags.get('config') ?? DEFAULT_CONFIG }, 'config file not found, continue using environment and flag options');
  for (const w of warnings) logger.warn(w);
  warnInsecure(config, logger);

  const node = await startNode(config, { logger });
  io.err(`gyre: serving on :${node.port} (${node.services.join(', ')})`);
  return await new Promise<number>((resolve) => {
    let signalled = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (signalled) return;
      signalled = true;
      logger.info({ signal }, 'shutting down');
      const watchdog = setTimeout(() => {
        logger.fatal({ timeout_ms: config.shutdown.timeout }, 'shutdown timed out');
        process.exit(1);
      }, config.shutdown.timeout + 1000);
      watchdog.unref();
      node.shutdown().then(() => resolve(0), (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        resolve(1);
      });
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  });
}

function warnInsecure(config: GyreConfig, logger: ReturnType<typeof createLogger>): void {
  if (config.client.insecure) logger.warn('INSECURE client mode enabled, make sure you understand risks');
  if (config.http_api.insecure) logger.warn('INSECURE HTTP API mode enabled, make sure you understand risks');
  if (config.admin.insecure) logger.warn('INSECURE admin mode enabled, make sure you understand risks');
}

function genconfigCommand(argv: string[], io: Out): number {
  const parsed = parseArgs(argv, [configFlag], 'genconfig');
  noPositionals(parsed.positionals, 'genconfig');
  const path = parsed.flags.get('config') ?? DEFAULT_CONFIG;
  const ext = extname(path).slice(1).toLowerCase();
  const format = ext === 'yml' ? 'yaml' : ext;
  if (format !== 'json' && format !== 'yaml' && format !== 'toml') throw new CliError(`unsupported config format "${ext}": use .json, .yaml, .yml or .toml`);
  if (existsSync(path)) throw new CliError(`config file already exists: ${path}`);
  writeFileSync(path, genconfig(format), { mode: 0o600, flag: 'wx' });
  try {
    load(path, { strict: true, requireFile: true });
  } catch (err) {
    unlinkSync(path);
    throw err;
  }
  io.out(`${path} created`);
  return 0;
}

function checkconfig(argv: string[], io: Out): number {
  const specs: FlagSpec[] = [configFlag, { name: 'strict', short: 's', type: 'bool' }];
  const parsed = parseArgs(argv, specs, 'checkconfig');
  noPositionals(parsed.positionals, 'checkconfig');
  const strict = ['true', '1', 't', 'TRUE', 'True', 'T'].includes(parsed.flags.get('strict') ?? 'false');
  const { warnings } = load(parsed.flags.get('config') ?? DEFAULT_CONFIG, { strict, requireFile: true });
  for (const w of warnings) io.err(`warning: ${w}`);
  return 0;
}

async function gentoken(argv: string[], io: Out, subscription: boolean): Promise<number> {
  const command = subscription ? 'gensubtoken' : 'gentoken';
  const specs: FlagSpec[] = [
    configFlag,
    { name: 'user', short: 'u', type: 'string' },
    { name: 'ttl', short: 't', type: 'string' },
    { name: 'quiet', short: 'q', type: 'bool' },
    ...(subscription ? [{ name: 'channel', short: 's', type: 'string' } as FlagSpec] : []),
  ];
  const parsed = parseArgs(argv, specs, command);
  noPositionals(parsed.positionals, command);
  const { config } = load(parsed.flags.get('config') ?? DEFAULT_CONFIG, { requireFile: true });
  const secret = subscription && config.client.subscription_token.enabled
    ? config.client.subscription_token.hmac_secret_key
    : config.client.token.hmac_secret_key;
  if (!secret) throw new CliError('no HMAC secret key set in configuration (client.token.hmac_secret_key)');
  const user = parsed.flags.get('user') ?? '';
  const ttlText = parsed.flags.get('ttl') ?? '604800';
  if (!/^-?\d+$/.test(ttlText)) throw new CliError(`invalid --ttl "${ttlText}": expected whole seconds`);
  const ttlSeconds = Number(ttlText);
  if (ttlSeconds < -1 || ttlSeconds === 0) throw new CliError('--ttl must be positive, or -1 for no expiration');
  let token: string;
  if (subscription) {
    const channel = parsed.flags.get('channel');
    if (!channel) throw new CliError('gensubtoken needs a channel: -s CHANNEL');
    token = await generateSubscriptionToken({ hmacSecretKey: secret, user, channel, ttlSeconds });
  } else {
    token = await generateConnectToken({ hmacSecretKey: secret, user, ttlSeconds });
  }
  if (parsed.flags.get('quiet') === 'true') {
    io.out(token);
  } else {
    const ttl = ttlSeconds === -1 ? 'no expiration' : `expiration TTL ${ttlSeconds}s`;
    io.out(`HMACSHA256 ${subscription ? 'subscription ' : ''}token for ${user ? `user "${user}"` : 'anonymous user'} with ${ttl}:`);
    io.out(token);
  }
  return 0;
}

async function checktoken(argv: string[], io: Out, subscription: boolean): Promise<number> {
  const command = subscription ? 'checksubtoken' : 'checktoken';
  const parsed = parseArgs(argv, [configFlag], command);
  if (parsed.positionals.length !== 1) throw new CliError(`${command} needs exactly one TOKEN argument`);
  const { config } = load(parsed.flags.get('config') ?? DEFAULT_CONFIG, { requireFile: true });
  const tokenConfig = subscription && config.client.subscription_token.enabled ? config.client.subscription_token : config.client.token;
  const verifier = createTokenVerifier(tokenConfig);
  try {
    const token = parsed.positionals[0]!;
    const claims = subscription ? await verifier.verifySubscriptionToken(token) : await verifier.verifyConnectToken(token);
    const exp = claims.expireAt ? `expires at ${new Date(claims.expireAt * 1000).toISOString()}` : 'no expiration';
    const chan = 'channel' in claims && typeof claims.channel === 'string' ? ` channel "${claims.channel}"` : '';
    io.out(`valid ${subscription ? 'subscription ' : ''}token for ${claims.user ? `user "${claims.user}"` : 'anonymous user'}${chan}, ${exp}`);
    return 0;
  } catch (err) {
    throw new CliError(`token is not valid: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    verifier.close();
  }
}
