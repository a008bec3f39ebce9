/**
 * What every part of the edge shares: the config as numbers ready for the hot path, the stores
 * (over the bus), the verifiers, the hub, the connection registry and the timer wheel. Built once
 * by service.ts; connections and handlers get it by reference.
 */
import type { TemplatedApp } from 'uWebSockets.js';
import type { TokenVerifier } from '@gyre/auth';
import type { Bus } from '@gyre/bus';
import type { GyreConfig } from '@gyre/config';
import type { Logger } from '@gyre/observability';
import type { BusHistoryStore, BusPresenceStore } from '@gyre/store';
import type { Hub } from './hub.js';
import type { LocalTopics } from './local_topics.js';
import type { EdgeMetrics } from './metrics.js';
import type { PresenceTracker } from './presence.js';
import type { Registry } from './registry.js';
import type { TimerWheel } from './timer_wheel.js';

/** Config values the connections read all the time, in milliseconds / counts. */
export interface EdgeSettings {
  /** Server ping interval; <= 0 disables application pings. */
  readonly pingIntervalMs: number;
  /** Pong wait after a ping; <= 0 means pings without pongs. */
  readonly pongTimeoutMs: number;
  readonly staleCloseDelayMs: number;
  readonly expiredCloseDelayMs: number;
  readonly expiredSubCloseDelayMs: number;
  readonly channelLimit: number;
  readonly userConnectionLimit: number;
  readonly queueMaxSize: number;
  readonly messageSizeLimit: number;
  readonly historyMaxPublicationLimit: number;
  readonly recoveryMaxPublicationLimit: number;
  readonly channelMaxLength: number;
  readonly insecure: boolean;
  readonly allowAnonymousConnectWithoutToken: boolean;
  readonly disallowAnonymousConnectionTokens: boolean;
  readonly connectIncludeServerTime: boolean;
  readonly presenceUpdateIntervalMs: number;
  readonly positionCheckDelayMs: number;
  readonly personalChannel: { readonly enabled: boolean; readonly singleConnection: boolean };
  /** rpc.ping: the built-in no-op method, '' when disabled. */
  readonly rpcPingMethod: string;
  /** Whether any RPC handler exists (rpc.ping or an rpc proxy); without one rpc answers 108. */
  readonly rpcHandlerExists: boolean;
  /** An RPC proxy is enabled in without_namespace or some rpc namespace. */
  readonly rpcProxy: boolean;
  /** client.proxy.connect.enabled: connects without a token ask the backend. */
  readonly connectProxy: boolean;
  /**
   * client.proxy.refresh.enabled: every connection is refreshed by the server through the proxy
   * (Centrifugo's ClientSideRefresh = !refresh proxy), never by the client.
   */
  readonly refreshProxy: boolean;
  /**
   * How long a connection or subscription lives on after a refresh / sub_refresh proxy call
   * failed, before the call is tried again (Centrifugo: one minute). Tests lower it.
   */
  proxyRetryDelayMs: number;
}

/** Centrifugo's grace after a failed refresh / sub_refresh proxy call. */
export const PROXY_RETRY_DELAY_MS = 60_000;

export function settingsFrom(config: GyreConfig): EdgeSettings {
  const c = config.client;
  const rpcProxy = config.rpc.without_namespace.proxy_enabled || config.rpc.namespaces.some((n) => n.proxy_enabled);
  return {
    pingIntervalMs: c.ping_interval,
    pongTimeoutMs: c.pong_timeout,
    staleCloseDelayMs: c.stale_close_delay,
    expiredCloseDelayMs: c.expired_close_delay,
    expiredSubCloseDelayMs: c.expired_sub_close_delay,
    channelLimit: c.channel_limit,
    userConnectionLimit: c.user_connection_limit,
    queueMaxSize: c.queue_max_size,
    messageSizeLimit: config.websocket.message_size_limit,
    historyMaxPublicationLimit: c.history_max_publication_limit,
    recoveryMaxPublicationLimit: c.recovery_max_publication_limit,
    channelMaxLength: config.channel.max_length,
    insecure: c.insecure,
    allowAnonymousConnectWithoutToken: c.allow_anonymous_connect_without_token,
    disallowAnonymousConnectionTokens: c.disallow_anonymous_connection_tokens,
    connectIncludeServerTime: c.connect_include_server_time,
    presenceUpdateIntervalMs: c.presence_update_interval,
    positionCheckDelayMs: c.channel_position_check_delay,
    personalChannel: {
      enabled: c.subscribe_to_user_personal_channel.enabled,
      singleConnection: c.subscribe_to_user_personal_channel.single_connection,
    },
    rpcPingMethod: config.rpc.ping.enabled ? config.rpc.ping.method : '',
    rpcHandlerExists: config.rpc.ping.enabled || rpcProxy,
    rpcProxy,
    connectProxy: c.proxy.connect.enabled,
    refreshProxy: c.proxy.refresh.enabled,
    proxyRetryDelayMs: PROXY_RETRY_DELAY_MS,
  };
}

export interface EdgeContext {
  readonly config: GyreConfig;
  readonly settings: EdgeSettings;
  readonly app: TemplatedApp;
  readonly bus: Bus;
  readonly prefix: string;
  readonly logger: Logger;
  readonly metrics: EdgeMetrics;
  readonly nodeId: string;
  readonly nodeName: string;
  readonly version: string;
  readonly connVerifier: TokenVerifier;
  readonly subVerifier: TokenVerifier;
  readonly history: BusHistoryStore;
  readonly presence: BusPresenceStore;
  readonly hub: Hub;
  /** Topic fan-out for connections without uWS topics (see local_topics.ts). */
  readonly localTopics: LocalTopics;
  readonly registry: Registry;
  readonly wheel: TimerWheel;
  readonly presenceTracker: PresenceTracker;
}
