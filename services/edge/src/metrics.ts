/**
 * The edge's use of the shared metric definitions (libs/observability/src/metrics.ts, Centrifugo
 * names). Label children are looked up once and cached, so a command costs one histogram observe.
 * Label values stay bounded: method names and protocol codes only, never channels or users.
 */
import type { Histogram } from 'prom-client';
import type { Metrics } from '@gyre/observability';

type Observer = ReturnType<Histogram<'method'>['labels']>;

export class EdgeMetrics {
  private readonly durations = new Map<string, Observer>();

  constructor(readonly m: Metrics) {}

  /** Observes one command's duration in seconds. */
  commandDuration(method: string, seconds: number): void {
    let o = this.durations.get(method);
    if (!o) {
      o = this.m.clientCommandDuration.labels(method);
      this.durations.set(method, o);
    }
    o.observe(seconds);
  }

  replyError(method: string, code: number): void {
    this.m.clientNumReplyErrors.inc({ method, code: String(code) });
  }

  serverDisconnect(code: number): void {
    this.m.clientNumServerDisconnects.inc({ code: String(code) });
  }

  serverUnsubscribe(code: number): void {
    this.m.clientNumServerUnsubscribes.inc({ code: String(code) });
  }

  recover(recovered: boolean, hasPublications: boolean): void {
    this.m.clientRecover.inc({ recovered: String(recovered), has_recovered_publications: String(hasPublications) });
  }

  connectionAccepted(transport = 'websocket'): void {
    this.m.clientConnectionsAccepted.inc({ transport, client_name: '', client_version: '' });
  }

  connectionsInflight(n: number): void {
    this.m.clientConnectionsInflight.set({ transport: 'websocket', client_name: '', client_version: '' }, n);
  }

  subscriptionAccepted(): void {
    this.m.clientSubscriptionsAccepted.inc({ client_name: '' });
  }

  connectionLimitHit(): void {
    this.m.nodeClientConnectionLimit.inc();
  }

  messageReceived(type: string): void {
    this.m.nodeMessagesReceived.inc({ type });
  }

  messageSent(type: string): void {
    this.m.nodeMessagesSent.inc({ type });
  }

  /**
   * Makes the node gauges read their values at scrape time (prom-client calls `collect` before
   * reading a gauge), so /metrics is exact without work on every connect or subscribe.
   */
  bindNodeCounts(counts: () => { clients: number; users: number; subscriptions: number; channels: number }): void {
    const m = this.m;
    const bind = (g: { collect?: () => void; set(v: number): void }, pick: (c: ReturnType<typeof counts>) => number): void => {
      g.collect = () => g.set(pick(counts()));
    };
    bind(m.nodeNumClients as never, (c) => c.clients);
    bind(m.nodeNumUsers as never, (c) => c.users);
    bind(m.nodeNumSubscriptions as never, (c) => c.subscriptions);
    bind(m.nodeNumChannels as never, (c) => c.channels);
  }

  nodeCounts(clients: number, users: number, subscriptions: number, channels: number): void {
    this.m.nodeNumClients.set(clients);
    this.m.nodeNumUsers.set(users);
    this.m.nodeNumSubscriptions.set(subscriptions);
    this.m.nodeNumChannels.set(channels);
  }
}
