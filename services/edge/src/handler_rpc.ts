/**
 * `rpc` (client-protocol.md §3.4, server.md §2.4 `rpc` and Appendix B). The built-in
 * `rpc.ping` method (when enabled) answers an empty result. Otherwise, as Centrifugo v6.9: with
 * no RPC handler at all (no rpc.ping, no RPC proxy) → 108 not available; with one, a method whose
 * rpc namespace is unknown or has no proxy → 104 method not found. Methods routed to an RPC proxy
 * answer 104 until the edge calls the proxy-dispatcher (event-proxy issue).
 */
import { errors, messages, type protocol } from '@gyre/protocol';
type RPCRequest = protocol.RPCRequest;
import type { Client } from './client.js';

export function handleRpc(client: Client, req: RPCRequest, id: number): void {
  const s = client.ctx.settings;
  if (s.rpcPingMethod !== '' && req.method === s.rpcPingMethod) {
    const reply = messages.newReply();
    reply.id = id;
    reply.rpc = messages.newRPCResult();
    client.sendReply(reply);
    return;
  }
  if (!s.rpcHandlerExists) return client.replyError(id, 'rpc', errors.notAvailable);
  client.replyError(id, 'rpc', errors.methodNotFound);
}
