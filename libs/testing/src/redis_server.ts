// A real redis-server for tests: no persistence, its own temp dir.
import { findBinary } from './binaries.js';
import { startServer, type ServerHandle, type StartServerOptions } from './server_process.js';

export interface StartRedisServerOptions extends StartServerOptions {
  /** Path of the binary; default: $GYRE_REDIS_SERVER, PATH, /usr/sbin, /usr/bin, ... */
  binary?: string;
  /** Extra command-line arguments, e.g. ['--maxmemory', '10mb']. */
  args?: string[];
}

/**
 * Starts redis-server on a free port (or opts.port) bound to 127.0.0.1 with `--save '' --appendonly no
 * --dir <tmp>`, and resolves once it answers PING with PONG.
 */
export async function startRedisServer(opts: StartRedisServerOptions = {}): Promise<ServerHandle> {
  const binary = findBinary('redis-server', 'GYRE_REDIS_SERVER', opts.binary);
  return startServer(
    {
      name: 'redis-server',
      scheme: 'redis',
      args: (host, port, dir) => [
        '--port', String(port),
        '--bind', host,
        '--save', '',
        '--appendonly', 'no',
        '--dir', dir,
        '--daemonize', 'no',
        ...(opts.args ?? []),
      ],
      probeSend: 'PING\r\n',
      probeAccept: (line) => line === '+PONG',
    },
    binary,
    opts,
  );
}
