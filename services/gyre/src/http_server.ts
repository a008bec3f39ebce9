/*
 * The process's HTTP listeners (uWebSockets.js).
 *
 * Lifecycle rules of uWebSockets.js that every handler here and in the services must keep:
 * - `req` is valid only during the synchronous part of the handler: copy headers, url and query
 *   out of it before any `await`.
 * - A handler that answers later must register `res.onAborted` before going async, and must not
 *   touch `res` after the abort fired.
 * - Writes made outside a uWS callback (after an `await`, from a bus or timer callback) go inside
 *   `res.cork(...)` / `ws.cork(...)`, so headers and body leave in one syscall.
 * - Closing the listen socket stops accepting; open sockets stay until their owners close them.
 */
import uWS from 'uWebSockets.js';
import type { Health, Metrics } from '@gyre/observability';

// uWS.ListenOptions is declared as an enum but not exported at runtime; its value is 1.
const LIBUS_LISTEN_EXCLUSIVE_PORT = 1 as uWS.ListenOptions;

export type App = uWS.TemplatedApp;
export type HttpResponse = uWS.HttpResponse;

export interface Listener {
  readonly app: App;
  readonly host: string;
  readonly port: number;
  close(): void;
}

/** Listens on host:port (empty host: every interface). Port 0 picks a free port. */
export function listen(app: App, host: string, port: number): Promise<Listener> {
  return new Promise((resolve, reject) => {
    const done = (socket: uWS.us_listen_socket | false) => {
      if (!socket) {
        reject(new Error(`cannot listen on ${host || '*'}:${port}: address in use or not permitted`));
        return;
      }
      let open = true;
      resolve({
        app,
        host,
        port: uWS.us_socket_local_port(socket as unknown as uWS.us_socket),
        close() {
          if (open) {
            open = false;
            uWS.us_listen_socket_close(socket);
          }
        },
      });
    };
    // Exclusive port: two processes never silently share one port.
    if (host) app.listen(host, port, done);
    else app.listen(port, LIBUS_LISTEN_EXCLUSIVE_PORT, done);
  });
}

export function createApp(): App {
  return uWS.App();
}

/** Answers later, safely: ignores the write when the client went away meanwhile. */
export function deferred(res: HttpResponse): (status: string, headers: Record<string, string>, body: string | Uint8Array) => void {
  let aborted = false;
  res.onAborted(() => {
    aborted = true;
  });
  return (status, headers, body) => {
    if (aborted) return;
    res.cork(() => {
      res.writeStatus(status);
      for (const [k, v] of Object.entries(headers)) res.writeHeader(k, v);
      res.end(body);
    });
  };
}

export interface OpsRoutes {
  health: Health;
  metrics: Metrics;
  healthEnabled: boolean;
  healthPrefix: string;
  prometheusEnabled: boolean;
  prometheusPrefix: string;
}

/**
 * `/health` (Centrifugo's: a static 200 `{}` while the process lives), `/ready` (Gyre's addition:
 * 200 only when the bus and store answer and the process is not draining, else 503 with the
 * failing checks) and `/metrics` (Prometheus text). Served on the internal listener.
 */
export function mountOpsRoutes(app: App, o: OpsRoutes): void {
  if (o.healthEnabled) {
    app.get(o.healthPrefix, (res) => {
      res.writeHeader('Content-Type', 'application/json').end('{}');
    });
    app.get('/ready', (res) => {
      const reply = deferred(res);
      o.health.readiness().then(
        (report) => reply(report.ready ? '200 OK' : '503 Service Unavailable', { 'Content-Type': 'application/json' }, JSON.stringify(report)),
        (err: unknown) => reply('503 Service Unavailable', { 'Content-Type': 'application/json' }, JSON.stringify({ ready: false, error: String(err) })),
      );
    });
  }
  if (o.prometheusEnabled) {
    app.get(o.prometheusPrefix, (res) => {
      const reply = deferred(res);
      o.metrics.registry.metrics().then(
        (text) => reply('200 OK', { 'Content-Type': o.metrics.registry.contentType }, text),
        (err: unknown) => reply('500 Internal Server Error', { 'Content-Type': 'text/plain' }, `metrics: ${String(err)}`),
      );
    });
  }
}

/** Registered last: anything no service claimed. */
export function mountNotFound(app: App): void {
  app.any('/*', (res) => {
    res.writeStatus('404 Not Found').writeHeader('Content-Type', 'text/plain').end('404 page not found\n');
  });
}
