/**
 * Server-side control (`<prefix>.ctl`, gyre.v1.Control; ARCHITECTURE.md "Other flows"): every edge
 * receives every command and applies it to its own matching connections; nothing is answered.
 *
 * Targeting (ControlTarget, the server API semantics): the connections of `user` ("" = anonymous
 * ones, or every connection with all_users), narrowed to one client id / session when set. Plain
 * WebSocket connections have no session, so a session target never matches them; an emulated or
 * unidirectional connection matches only its own session (never shown to other clients).
 *
 * - subscribe: a server-side subscription on each target not already subscribed: the `Subscribe`
 *   push (`recoverable`, `epoch`, `offset`, `positioned`, `data`) goes out before its publications;
 *   recovery from `recover_since` when the channel is recoverable.
 * - unsubscribe: the channel (or, empty, every channel) ends with unsubscribe push 2000.
 * - disconnect: close with `code` (0 → 3503 "force disconnect") and `reason`, except `whitelist`.
 * - refresh: `expired` → close 3005; else the new expire_at (Unix s, 0 keeps) and info, and a
 *   `Refresh` push {expires, ttl}.
 * - shutdown: informational for api (node list); edges ignore it.
 */
import { create, fromBinary } from '@bufbuild/protobuf';
import type { BusSubscription } from '@gyre/bus';
import { resolveChannel } from '@gyre/config';
import { Disconnect, Unsubscribe, bus as busPb, messages, protocol } from '@gyre/protocol';
import type { Client } from './client.js';
import type { EdgeContext } from './context.js';
import { serverSideSpec } from './handler_subscribe.js';
import { commitSubscription, prepareSubscription, subscribePush } from './subscription.js';
import { ttlSeconds } from './expiry.js';

/** `<prefix>.ctl` */
export function controlSubject(prefix: string): string {
  return `${prefix}.ctl`;
}

export function targets(ctx: EdgeContext, t: busPb.ControlTarget | undefined): Client[] {
  if (!t) return [];
  const pool: Iterable<Client> = t.user === '' && t.allUsers ? ctx.registry.clients() : (ctx.registry.userConnections(t.user) ?? []);
  const out: Client[] = [];
  for (const c of pool) {
    if (c.closed || c.state !== 'connected') continue;
    if (t.client !== '' && c.id !== t.client) continue;
    if (t.session !== '' && c.session !== t.session) continue;
    out.push(c);
  }
  return out;
}

export class ControlHandler {
  private sub: BusSubscription | null = null;

  constructor(private readonly ctx: EdgeContext) {}

  start(): void {
    this.sub = this.ctx.bus.subscribe(controlSubject(this.ctx.prefix), (msg) => this.onMessage(msg.data));
  }

  stop(): void {
    this.sub?.unsubscribe();
    this.sub = null;
  }

  onMessage(data: Uint8Array): void {
    let ctl: busPb.Control;
    try {
      ctl = fromBinary(busPb.ControlSchema, data);
    } catch (err) {
      this.ctx.logger.warn({ err }, 'dropping undecodable control message');
      return;
    }
    this.ctx.metrics.messageReceived('control');
    const cmd = ctl.command;
    switch (cmd.case) {
      case 'subscribe':
        for (const c of targets(this.ctx, cmd.value.target)) {
          this.subscribe(c, cmd.value).catch((err: unknown) => this.ctx.logger.error({ err, client: c.id }, 'server-side subscribe failed'));
        }
        break;
      case 'unsubscribe':
        for (const c of targets(this.ctx, cmd.value.target)) this.unsubscribe(c, cmd.value.channel);
        break;
      case 'disconnect':
        this.disconnect(cmd.value);
        break;
      case 'refresh':
        for (const c of targets(this.ctx, cmd.value.target)) this.refresh(c, cmd.value);
        break;
      default:
        break;
    }
  }

  private async subscribe(client: Client, req: busPb.ControlSubscribe): Promise<void> {
    if (client.subs.has(req.channel) || req.channel === '') return;
    const resolved = resolveChannel(this.ctx.config, req.channel);
    if (!resolved) return;
    const o = req.override;
    const override = {
      ...(o?.presence !== undefined ? { presence: o.presence } : {}),
      ...(o?.joinLeave !== undefined ? { joinLeave: o.joinLeave } : {}),
      ...(o?.forceRecovery !== undefined ? { forceRecovery: o.forceRecovery } : {}),
      ...(o?.forcePositioning !== undefined ? { forcePositioning: o.forcePositioning } : {}),
      ...(o?.forcePushJoinLeave !== undefined ? { forcePushJoinLeave: o.forcePushJoinLeave } : {}),
    };
    const since = req.recoverSince;
    const spec = serverSideSpec(
      req.channel,
      resolved.options,
      override,
      req.info.byteLength > 0 ? req.info : undefined,
      req.data.byteLength > 0 ? req.data : undefined,
      since ? { recover: true, offset: since.offset, epoch: since.epoch } : undefined,
      Number(req.expireAt),
    );
    const prepared = await prepareSubscription(client, spec);
    if (client.closed) return;
    if ('code' in prepared) {
      this.ctx.logger.warn({ client: client.id, channel: req.channel, code: prepared.code }, 'server-side subscribe failed');
      return;
    }
    client.sendPush(subscribePush(req.channel, prepared.result));
    commitSubscription(prepared);
  }

  private unsubscribe(client: Client, channel: string): void {
    const subs = channel === '' ? [...client.subs.values()] : [client.subs.get(channel)].filter((s) => s !== undefined);
    client.startBatch();
    try {
      for (const s of subs) s.serverUnsubscribe(Unsubscribe.ServerUnsubscribe);
    } finally {
      client.endBatch();
    }
  }

  private disconnect(req: busPb.ControlDisconnect): void {
    const keep = new Set(req.whitelist);
    const d = req.code === 0 ? Disconnect.ForceNoReconnect : { code: req.code, reason: req.reason };
    for (const c of targets(this.ctx, req.target)) if (!keep.has(c.id)) c.disconnect(d);
  }

  private refresh(client: Client, req: busPb.ControlRefresh): void {
    if (req.expired) {
      client.disconnect(Disconnect.Expired);
      return;
    }
    const expireAt = Number(req.expireAt);
    if (expireAt > 0) client.expireAt = expireAt;
    if (req.info !== undefined) client.connInfo = req.info.byteLength > 0 ? req.info : undefined;
    client.expiryChanged();
    const push = messages.newPush();
    push.refresh = create(protocol.RefreshSchema, {
      expires: client.expireAt > 0,
      ttl: client.expireAt > 0 ? ttlSeconds(client.expireAt) : 0,
    });
    client.sendPush(push);
  }
}
