import { Registry, Gauge, Counter, Histogram, collectDefaultMetrics } from 'prom-client';

/**
 * Every metric Gyre exports. Names follow Centrifugo's (`centrifugo_` namespace) where the concept
 * matches, so existing dashboards and alerts keep working; Gyre-only metrics use `gyre_`.
 * Label values must stay bounded: never raw channel names, paths or user ids.
 *
 * Each node gets its own Registry (not prom-client's global one), so several in-process nodes in
 * one test process do not collide.
 */
export function createMetrics(opts: { version: string; defaultMetrics?: boolean }) {
  const registry = new Registry();
  if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  const r = [registry];

  const m = {
    registry,
    nodeBuild: new Gauge({ name: 'centrifugo_node_build', help: 'Node build info.', labelNames: ['version'], registers: r }),
    nodeNumClients: new Gauge({ name: 'centrifugo_node_num_clients', help: 'Number of clients connected to this node.', registers: r }),
    nodeNumUsers: new Gauge({ name: 'centrifugo_node_num_users', help: 'Number of unique users connected to this node.', registers: r }),
    nodeNumSubscriptions: new Gauge({ name: 'centrifugo_node_num_subscriptions', help: 'Number of subscriptions on this node.', registers: r }),
    nodeNumChannels: new Gauge({ name: 'centrifugo_node_num_channels', help: 'Number of channels with one or more subscribers on this node.', registers: r }),
    nodeNumNodes: new Gauge({ name: 'centrifugo_node_num_nodes', help: 'Number of nodes in the cluster.', registers: r }),
    nodeMessagesSent: new Counter({ name: 'centrifugo_node_messages_sent_count', help: 'Number of messages sent by the node to the broker.', labelNames: ['type'], registers: r }),
    nodeMessagesReceived: new Counter({ name: 'centrifugo_node_messages_received_count', help: 'Number of messages received by the node from the broker.', labelNames: ['type'], registers: r }),
    nodeActionCount: new Counter({ name: 'centrifugo_node_action_count', help: 'Number of node actions called.', labelNames: ['action'], registers: r }),
    nodeClientConnectionLimit: new Counter({ name: 'centrifugo_node_client_connection_limit', help: 'Connections rejected by the connection limit.', registers: r }),
    clientNumReplyErrors: new Counter({ name: 'centrifugo_client_num_reply_errors', help: 'Number of errors in replies sent to clients.', labelNames: ['method', 'code'], registers: r }),
    clientNumServerDisconnects: new Counter({ name: 'centrifugo_client_num_server_disconnects', help: 'Number of server-initiated disconnects.', labelNames: ['code'], registers: r }),
    clientNumServerUnsubscribes: new Counter({ name: 'centrifugo_client_num_server_unsubscribes', help: 'Number of server-initiated unsubscribes.', labelNames: ['code'], registers: r }),
    clientCommandDuration: new Histogram({ name: 'centrifugo_client_command_duration_seconds_histogram', help: 'Client command duration.', labelNames: ['method'], buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5], registers: r }),
    clientRecover: new Counter({ name: 'centrifugo_client_recover', help: 'Count of recover operations.', labelNames: ['recovered', 'has_recovered_publications'], registers: r }),
    clientConnectionsAccepted: new Counter({ name: 'centrifugo_client_connections_accepted', help: 'Count of accepted connections.', labelNames: ['transport', 'client_name', 'client_version'], registers: r }),
    clientConnectionsInflight: new Gauge({ name: 'centrifugo_client_connections_inflight', help: 'Connections currently open.', labelNames: ['transport', 'client_name', 'client_version'], registers: r }),
    clientSubscriptionsAccepted: new Counter({ name: 'centrifugo_client_subscriptions_accepted', help: 'Count of accepted subscriptions.', labelNames: ['client_name'], registers: r }),
    transportMessagesSent: new Counter({ name: 'centrifugo_transport_messages_sent', help: 'Messages sent to clients over transports.', labelNames: ['transport', 'frame_type', 'channel_namespace'], registers: r }),
    transportMessagesSentSize: new Counter({ name: 'centrifugo_transport_messages_sent_size', help: 'Bytes sent to clients over transports.', labelNames: ['transport', 'frame_type', 'channel_namespace'], registers: r }),
    transportMessagesReceived: new Counter({ name: 'centrifugo_transport_messages_received', help: 'Messages received from clients over transports.', labelNames: ['transport', 'frame_type', 'channel_namespace'], registers: r }),
    transportMessagesReceivedSize: new Counter({ name: 'centrifugo_transport_messages_received_size', help: 'Bytes received from clients over transports.', labelNames: ['transport', 'frame_type', 'channel_namespace'], registers: r }),
    apiCommandDuration: new Histogram({ name: 'centrifugo_api_command_duration_seconds_histogram', help: 'Server API command duration.', labelNames: ['protocol', 'method'], buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5], registers: r }),
    apiCommandErrors: new Counter({ name: 'centrifugo_api_command_errors_total', help: 'Server API command errors.', labelNames: ['protocol', 'method', 'error'], registers: r }),
    proxyDuration: new Histogram({ name: 'centrifugo_proxy_duration_seconds_histogram', help: 'Proxy call duration.', labelNames: ['protocol', 'type', 'name'], buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers: r }),
    proxyErrors: new Counter({ name: 'centrifugo_proxy_errors', help: 'Proxy call errors.', labelNames: ['protocol', 'type', 'name'], registers: r }),
    proxyInflight: new Gauge({ name: 'centrifugo_proxy_inflight_requests', help: 'Proxy calls in flight.', labelNames: ['protocol', 'type', 'name'], registers: r }),
    brokerPublishSuppressed: new Counter({ name: 'centrifugo_broker_publish_suppressed_count', help: 'Publications suppressed by idempotency key or version.', labelNames: ['reason'], registers: r }),
  };
  m.nodeBuild.set({ version: opts.version }, 1);
  return m;
}

export type Metrics = ReturnType<typeof createMetrics>;
