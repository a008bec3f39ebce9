/**
 * `rpc` (client-protocol.md §3.4, server.md §2.4 `rpc` and Appendix B, seed 003 "Client RPC
 * proxy"). The built-in `rpc.ping` method (when enabled) answers an empty result. Otherwise, as
 * Centrifugo v6.9 (internal/client/handler.go OnRPC, internal/proxy/rpc_handler.go):
 * - no RPC handler at all (no rpc.ping, no namespace with an RPC proxy) → 108 not available;
 * - no RPC proxy enabled anywhere (only rpc.ping) → 104 method not found;
 * - otherwise the method's rpc namespace (the part before rpc.namespace_boundary, `:`): unknown →
 *   104; its proxy off → 108; else the RPC proxy named by its `proxy_name` is called with the
 *   method and data: custom error / disconnect reach the client, no answer → 100 (temporary),
 *   the result's `data` (or decoded `b64data`) is the reply's data.
 */
import { resolveRpcNamespace } from '@gyre/config';
import { errors, messages, type protocol } from '@gyre/protocol';
type RPCRequest = protocol.RPCRequest;
import type { Client } from './client.js';
import { callClientProxy, customDisconnect, customError, metaField, requestBase } from './proxy.js';

/** Answers at once (returns undefined), or returns the promise of a proxied call. */
export function handleRpc(client: Client, req: RPCRequest, id: number): Promise<void> | undefined {
  const ctx = client.ctx;
  const s = ctx.settings;
  if (s.rpcPingMethod !== '' && req.method === s.rpcPingMethod) {
    const reply = messages.newReply();
    reply.id = id;
    reply.rpc = messages.newRPCResult();
    client.sendReply(reply);
    return undefined;
  }
  const resolved = s.rpcProxy ? resolveRpcNamespace(ctx.config, req.method) : null;
  if (resolved && resolved.options.proxy_enabled) return rpcViaProxy(client, req, id, resolved.options.proxy_name);
  let err = errors.methodNotFound;
  if (!s.rpcHandlerExists || (resolved && !resolved.options.proxy_enabled)) err = errors.notAvailable;
  client.replyError(id, 'rpc', err);
  return undefined;
}

async function rpcViaProxy(client: Client, req: RPCRequest, id: number, proxyName: string): Promise<void> {
  const outcome = await callClientProxy(client, 'rpc', proxyName, {
    ...requestBase(client),
    user: client.user,
    method: req.method,
    data: req.data,
    ...metaField(client),
  });
  if (client.closed) return;
  if ('transportError' in outcome) return client.replyError(id, 'rpc', errors.internal);
  const response = outcome.response;
  if (response.disconnect) return client.disconnect(customDisconnect(response.disconnect));
  if (response.error) return client.replyError(id, 'rpc', customError(response.error));
  const reply = messages.newReply();
  reply.id = id;
  reply.rpc = messages.newRPCResult();
  if (response.result && response.result.data.byteLength > 0) reply.rpc.data = response.result.data;
  client.sendReply(reply);
}
