/**
 * Channel checks in the order of server.md §2.6–2.7 (Centrifugo's internal/client/handler.go),
 * shared by subscribe, publish, history and presence. Pure functions of the config and the
 * connection, so the order is testable on its own:
 *
 * 1. channel name: not longer than channel.max_length (107), namespace defined (102), the part
 *    after `ns:` matches channel_regex, or is ASCII when there is none (107);
 * 2. the feature is on for history / presence (108);
 * 3. allow_*_for_client, or allow_*_for_subscriber when subscribed, each needing a non-anonymous
 *    user unless allow_*_for_anonymous; or client.insecure; otherwise 103.
 */
import { resolveChannel, type ChannelOptions, type GyreConfig, type ResolvedChannel } from '@gyre/config';
import { errors, type ProtocolError } from '@gyre/protocol';

export type Checked = { readonly ok: true; readonly resolved: ResolvedChannel } | { readonly ok: false; readonly error: ProtocolError };

// eslint-disable-next-line no-control-regex
const NON_ASCII = /[^\x00-\x7f]/;

/** Step 1: name length, namespace, regex / ASCII. */
export function checkChannel(config: GyreConfig, channel: string): Checked {
  const max = config.channel.max_length;
  if (max > 0 && Buffer.byteLength(channel) > max) return { ok: false, error: errors.badRequest };
  const resolved = resolveChannel(config, channel);
  if (!resolved) return { ok: false, error: errors.unknownChannel };
  if (resolved.regex !== null) {
    if (!resolved.regex.test(resolved.rest)) return { ok: false, error: errors.badRequest };
  } else if (NON_ASCII.test(channel)) {
    return { ok: false, error: errors.badRequest };
  }
  return { ok: true, resolved };
}

/** History is kept for the channel: history_size and history_ttl both set. */
export function historyEnabled(o: Readonly<ChannelOptions>): boolean {
  return o.history_size > 0 && o.history_ttl > 0;
}

type Feature = 'publish' | 'history' | 'presence';

/** Step 3 for publish / history / presence. */
export function allowed(feature: Feature, o: Readonly<ChannelOptions>, user: string, subscribed: boolean, insecure: boolean): boolean {
  const forClient = feature === 'publish' ? o.allow_publish_for_client : feature === 'history' ? o.allow_history_for_client : o.allow_presence_for_client;
  const forSubscriber = feature === 'publish' ? o.allow_publish_for_subscriber : feature === 'history' ? o.allow_history_for_subscriber : o.allow_presence_for_subscriber;
  const forAnonymous = feature === 'publish' ? o.allow_publish_for_anonymous : feature === 'history' ? o.allow_history_for_anonymous : o.allow_presence_for_anonymous;
  const userOk = user !== '' || forAnonymous;
  if (forClient && userOk) return true;
  if (forSubscriber && subscribed && userOk) return true;
  return insecure;
}

/**
 * Subscribe permission without a token (§2.7 steps 4, 7, 8): a user-limited channel listing the
 * user (with allow_user_limited_channels), allow_subscribe_for_client (+ anonymous rule) on a
 * channel that is not user-limited, or client.insecure.
 */
export function subscribeAllowed(o: Readonly<ChannelOptions>, user: string, limitedTo: readonly string[] | null, insecure: boolean): boolean {
  if (limitedTo !== null && o.allow_user_limited_channels && user !== '' && limitedTo.includes(user)) return true;
  if (o.allow_subscribe_for_client && (user !== '' || o.allow_subscribe_for_anonymous) && (limitedTo === null || !o.allow_user_limited_channels)) return true;
  return insecure;
}

/**
 * publication_data_format (v6.5.2): "" refuses empty data, json / json_object validate, binary
 * accepts anything. The namespace value wins over channel.publication_data_format.
 */
export function dataFormatOk(format: string, data: Uint8Array): boolean {
  switch (format) {
    case 'binary':
      return true;
    case 'json':
    case 'json_object': {
      let value: unknown;
      try {
        value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(data));
      } catch {
        return false;
      }
      return format === 'json' || (typeof value === 'object' && value !== null && !Array.isArray(value));
    }
    default:
      return data.byteLength > 0;
  }
}
