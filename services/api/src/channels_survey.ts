/**
 * The server API `channels` method: a cluster-wide survey (Centrifugo's default timeout 10 s).
 * api sends one ChannelsSurvey on `<prefix>.node.channels` naming a fresh reply subject; each
 * edge publishes one ChannelsSurveyReply there with its local channels that have subscribers. The
 * counts of all replies are summed per channel. The survey ends when every edge the node registry
 * knows has answered (one reply per node id), or at the timeout with whatever arrived.
 *
 * The survey goes out as a bus request, so an edge that answers with a plain bus reply
 * (`msg.respond`) is heard too; a request only ever delivers its first reply, though, so with
 * several edges only those publishing to `reply_subject` are all counted.
 */
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { BusError, type Bus } from '@gyre/bus';
import type { Logger } from '@gyre/observability';
import { bus as busPb } from '@gyre/protocol';
import { compileGlob } from '@gyre/config';
import { channelsSurveySubject, surveyReplySubject } from './subjects.js';

export const DEFAULT_SURVEY_TIMEOUT_MS = 10_000;

export interface ChannelsSurveyOptions {
  bus: Bus;
  prefix: string;
  logger: Logger;
  /** How many replies make the survey complete (the live edges). */
  expectedReplies: () => number;
  timeoutMs?: number;
}

export class ChannelsSurveyor {
  constructor(private readonly o: ChannelsSurveyOptions) {}

  /**
   * Channel → total subscribed clients across the cluster. Throws GlobSyntaxError for a bad
   * pattern before asking anyone.
   */
  async survey(pattern: string): Promise<Map<string, number>> {
    const matcher = pattern === '' ? null : compileGlob(pattern);
    const { bus, prefix, logger } = this.o;
    const replySubject = surveyReplySubject(prefix);
    const totals = new Map<string, number>();
    const answered = new Set<string>();
    const expected = this.o.expectedReplies();

    await new Promise<void>((resolve, reject) => {
      let done = false;
      const finish = (): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        sub.unsubscribe();
        resolve();
      };
      const onReply = (data: Uint8Array): void => {
        if (done) return;
        let reply: busPb.ChannelsSurveyReply;
        try {
          reply = fromBinary(busPb.ChannelsSurveyReplySchema, data);
        } catch (err) {
          logger.warn({ err }, 'malformed channels survey reply dropped');
          return;
        }
        // One answer per node: a duplicate (retry, redelivery) must not double the counts.
        const node = reply.nodeUid || `anonymous-${answered.size}`;
        if (answered.has(node)) return;
        answered.add(node);
        for (const [channel, n] of Object.entries(reply.channels)) {
          if (matcher && !matcher.test(channel)) continue;
          totals.set(channel, (totals.get(channel) ?? 0) + n);
        }
        if (answered.size >= expected) finish();
      };
      const sub = bus.subscribe(replySubject, (msg) => onReply(msg.data));
      const timer = setTimeout(() => {
        if (answered.size < expected) logger.debug({ answered: answered.size, expected }, 'channels survey timed out');
        finish();
      }, this.o.timeoutMs ?? DEFAULT_SURVEY_TIMEOUT_MS);
      if (expected === 0) {
        finish();
        return;
      }
      try {
        const survey = toBinary(busPb.ChannelsSurveySchema, create(busPb.ChannelsSurveySchema, { pattern, replySubject }));
        bus.request(channelsSurveySubject(prefix), survey, { timeoutMs: this.o.timeoutMs ?? DEFAULT_SURVEY_TIMEOUT_MS }).then(onReply, (err: unknown) => {
          // No responders / timeout: the replies on reply_subject (or the timer) decide.
          if (!(err instanceof BusError)) logger.warn({ err }, 'channels survey request failed');
        });
      } catch (err) {
        done = true;
        clearTimeout(timer);
        sub.unsubscribe();
        reject(err);
      }
    });
    for (const [channel, n] of totals) if (n === 0) totals.delete(channel);
    return totals;
  }
}
