/**
 * What this edge tells the rest of the cluster about itself:
 * - a NodeInfo heartbeat on `<prefix>.node` every HEARTBEAT_MS (Centrifugo: 3 s) with the node's
 *   client, user, subscription and channel counts, `draining` once shutdown began; the api service
 *   builds the server API `info` from these and drops a node after ~3 missed beats. The same tick
 *   refreshes the node gauges (centrifugo_node_num_*).
 * - answers to ChannelsSurvey requests on `<prefix>.node.channels`: a ChannelsSurveyReply with the
 *   local channels that have subscribers (filtered by the survey's glob pattern) and how many.
 */
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import type { BusMessage, BusSubscription } from '@gyre/bus';
import { bus as busPb } from '@gyre/protocol';
import type { EdgeContext } from './context.js';
import { compileGlob } from '@gyre/config';

export const HEARTBEAT_MS = 3000;

export function nodeSubject(prefix: string): string {
  return `${prefix}.node`;
}

export function channelsSurveySubject(prefix: string): string {
  return `${prefix}.node.channels`;
}

export class NodeInfoPublisher {
  private timer: NodeJS.Timeout | null = null;
  private survey: BusSubscription | null = null;
  private readonly started = Date.now();
  draining = false;

  constructor(
    private readonly ctx: EdgeContext,
    private readonly services: readonly string[],
    private readonly intervalMs = HEARTBEAT_MS,
  ) {}

  start(): void {
    this.survey = this.ctx.bus.subscribe(channelsSurveySubject(this.ctx.prefix), (msg) => this.onSurvey(msg));
    this.beat();
    this.timer = setInterval(() => this.beat(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.survey?.unsubscribe();
    this.survey = null;
  }

  info(): busPb.NodeInfo {
    const { registry, hub } = this.ctx;
    return create(busPb.NodeInfoSchema, {
      uid: this.ctx.nodeId,
      name: this.ctx.nodeName,
      version: this.ctx.version,
      services: [...this.services],
      numClients: registry.numClients,
      numUsers: registry.numUsers,
      numSubs: hub.numSubscriptions,
      numChannels: hub.channels.size,
      uptime: Math.floor((Date.now() - this.started) / 1000),
      sentAtMs: BigInt(Date.now()),
      draining: this.draining,
    });
  }

  /** Publishes one heartbeat now and refreshes the node gauges. */
  beat(): void {
    const { registry, hub, metrics } = this.ctx;
    metrics.nodeCounts(registry.numClients, registry.numUsers, hub.numSubscriptions, hub.channels.size);
    metrics.connectionsInflight(registry.all.size);
    try {
      this.ctx.bus.publish(nodeSubject(this.ctx.prefix), toBinary(busPb.NodeInfoSchema, this.info()));
      metrics.messageSent('node');
    } catch (err) {
      this.ctx.logger.debug({ err }, 'node heartbeat not sent');
    }
  }

  private onSurvey(msg: BusMessage): void {
    let pattern: string;
    let replySubject: string;
    try {
      ({ pattern, replySubject } = fromBinary(busPb.ChannelsSurveySchema, msg.data));
    } catch (err) {
      this.ctx.logger.warn({ err }, 'dropping undecodable channels survey');
      return;
    }
    const match = pattern === '' ? null : compileGlob(pattern);
    const channels: Record<string, number> = {};
    for (const [name, count] of this.ctx.hub.channelCounts()) {
      if (match && !match.test(name)) continue;
      Object.defineProperty(channels, name, { value: count, enumerable: true, writable: true, configurable: true });
    }
    const reply = toBinary(busPb.ChannelsSurveyReplySchema, create(busPb.ChannelsSurveyReplySchema, { nodeUid: this.ctx.nodeId, channels }));
    // Every edge must be heard: a bus request delivers only its first reply, so answer on the
    // survey's own reply subject when it names one (a bus reply only for older surveyors).
    if (replySubject) {
      try {
        this.ctx.bus.publish(replySubject, reply);
      } catch (err) {
        this.ctx.logger.debug({ err }, 'channels survey reply not sent');
      }
    } else {
      msg.respond(reply);
    }
  }
}
