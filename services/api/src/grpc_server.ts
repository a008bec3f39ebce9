/**
 * The GRPC server API: service `centrifugal.centrifugo.api.CentrifugoApi` (proto/centrifugal/
 * centrifugo/api/api.proto, messages from the generated protobuf-es code) on `grpc_api.address`
 * : `grpc_api.port` (10000) with @grpc/grpc-js, when `grpc_api.enabled`.
 *
 * - Every OSS rpc runs the same Executor method as HTTP; API errors travel in the response's
 *   `error` field, or as a GRPC status in transport error mode (`grpc_api.error_mode` or metadata
 *   `x-centrifugo-error-mode: transport`; not for Batch).
 * - With `grpc_api.key`, every call (PRO rpcs included) needs metadata `authorization: apikey
 *   <KEY>`, else UNAUTHENTICATED; PRO rpcs then answer UNIMPLEMENTED, like Centrifugo OSS.
 * - `grpc_api.tls` (cert_pem / key_pem, client_ca_pem for mTLS) and
 *   `grpc_api.max_receive_message_size` (bytes, 0 = GRPC's 4 MiB) are honoured; with
 *   `grpc_api.reflection` the server also answers grpc.reflection.v1alpha / v1.
 */
import { fromBinary, toBinary, type DescMessage, type Message } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { readPem, type GyreConfig, type TlsConfig } from '@gyre/config';
import type { Logger } from '@gyre/observability';
import { api } from '@gyre/protocol';
import { grpcAuthorized } from './auth.js';
import { grpcCodeForError } from './errors.js';
import { METHODS, responseMessage, type Executor, type MethodSpec } from './executor.js';
import type { ApiMetrics } from './metrics.js';
import { reflectionService } from './grpc_reflection.js';

export interface GrpcApiOptions {
  config: GyreConfig;
  executor: Executor;
  metrics: ApiMetrics;
  logger: Logger;
}

export interface GrpcApiHandle {
  readonly port: number;
  stop(deadline: number): Promise<void>;
}

export class GrpcConfigError extends Error {
  override readonly name = 'GrpcConfigError';
}

/** A `*_pem` value (raw PEM, base64-encoded PEM or a file path), read by @gyre/config. */
export function loadPem(value: string, what: string): Buffer | null {
  try {
    return readPem(value, what);
  } catch (err) {
    throw new GrpcConfigError((err as Error).message);
  }
}

function credentials(tls: TlsConfig): grpc.ServerCredentials {
  if (!tls.enabled) return grpc.ServerCredentials.createInsecure();
  const cert = loadPem(tls.cert_pem, 'grpc_api.tls.cert_pem');
  const key = loadPem(tls.key_pem, 'grpc_api.tls.key_pem');
  if (!cert || !key) throw new GrpcConfigError('grpc_api.tls needs cert_pem and key_pem');
  const clientCa = loadPem(tls.client_ca_pem, 'grpc_api.tls.client_ca_pem');
  return grpc.ServerCredentials.createSsl(clientCa, [{ cert_chain: cert, private_key: key }], clientCa !== null);
}

/**
 * grpc-js service definition for a protobuf-es service descriptor; `onRequest` sees the size of
 * every request message.
 */
export function serviceDefinition(service: typeof api.CentrifugoApi, onRequest?: (method: string, bytes: number) => void): grpc.ServiceDefinition {
  const def: Record<string, grpc.MethodDefinition<Message, Message>> = {};
  for (const m of service.methods) {
    const input = m.input as DescMessage;
    const output = m.output as DescMessage;
    def[m.name] = {
      path: `/${service.typeName}/${m.name}`,
      requestStream: false,
      responseStream: false,
      requestSerialize: (v: Message) => Buffer.from(toBinary(input, v)),
      requestDeserialize: (b: Buffer) => {
        onRequest?.(m.name, b.length);
        return fromBinary(input, b);
      },
      responseSerialize: (v: Message) => Buffer.from(toBinary(output, v)),
      responseDeserialize: (b: Buffer) => fromBinary(output, b),
    };
  }
  return def;
}

export async function startGrpcApi(o: GrpcApiOptions): Promise<GrpcApiHandle> {
  const { config, executor, metrics, logger } = o;
  const g = config.grpc_api;
  const options: grpc.ServerOptions = {};
  if (g.max_receive_message_size > 0) options['grpc.max_receive_message_length'] = g.max_receive_message_size;
  const server = new grpc.Server(options);

  const byInput = new Map<DescMessage, MethodSpec>([...METHODS.values()].map((m) => [m.request, m]));
  const implementation: grpc.UntypedServiceImplementation = {};
  for (const m of api.CentrifugoApi.methods) {
    const spec = byInput.get(m.input as DescMessage);
    implementation[m.name] = (call: grpc.ServerUnaryCall<Message, Message>, callback: grpc.sendUnaryData<Message>) => {
      if (g.key !== '' && !grpcAuthorized(g.key, call.metadata.get('authorization'))) {
        callback({ code: grpc.status.UNAUTHENTICATED, details: 'unauthenticated' });
        return;
      }
      if (!spec) {
        callback({ code: grpc.status.UNIMPLEMENTED, details: `method ${m.name} not implemented` });
        return;
      }
      executor.call(spec, call.request, 'grpc').then(
        (out) => {
          if (out.error) metrics.error('grpc', spec.name, out.error.code);
          const transport = g.error_mode === 'transport' || call.metadata.get('x-centrifugo-error-mode')[0] === 'transport';
          if (out.error && transport && spec.name !== 'batch') {
            callback({ code: grpcCodeForError(out.error), details: out.error.message });
            return;
          }
          callback(null, responseMessage(spec, out));
        },
        (err: unknown) => {
          logger.error({ err, method: m.name }, 'GRPC API call failed');
          callback({ code: grpc.status.INTERNAL, details: 'internal server error' });
        },
      );
    };
  }
  const nameOf = new Map(api.CentrifugoApi.methods.map((m) => [m.name, byInput.get(m.input as DescMessage)?.name ?? 'unknown']));
  server.addService(serviceDefinition(api.CentrifugoApi, (method, bytes) => metrics.requestSize('grpc', nameOf.get(method) ?? 'unknown', bytes)), implementation);
  if (g.reflection) {
    const r = reflectionService([api.CentrifugoApi]);
    server.addService(r.definition, r.implementation);
  }

  const host = g.address || '0.0.0.0';
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${host.includes(':') ? `[${host}]` : host}:${g.port}`, credentials(g.tls), (err, bound) => {
      if (err) reject(new Error(`GRPC API cannot listen on ${host}:${g.port}: ${err.message}`));
      else resolve(bound);
    });
  });
  logger.info({ address: host, port, tls: g.tls.enabled, reflection: g.reflection }, 'GRPC server API listening');

  return {
    port,
    async stop(deadline: number) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, Math.max(0, deadline - Date.now()));
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
  };
}
