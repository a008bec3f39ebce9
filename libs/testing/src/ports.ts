// Free TCP ports for test servers.
import { createServer } from 'node:net';

/**
 * A TCP port that was free a moment ago on `host` (found by listening on port 0 and closing).
 * Another process may still take it before the caller binds it: starters that use it retry with a
 * fresh port when the bind fails.
 */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ port: 0, host, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('could not determine a free port'))));
    });
  });
}
