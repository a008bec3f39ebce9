/**
 * The bus subjects api uses besides the channel and state subjects (ARCHITECTURE.md "Subjects").
 * Edges build the same names on their side; the proto messages (proto/gyre/v1/bus.proto) are the
 * contract, these helpers only spell the subjects.
 */
import { randomUUID } from 'node:crypto';

/** `<prefix>.ctl`: Control (subscribe / unsubscribe / disconnect / refresh / node shutdown) to every edge. */
export function controlSubject(prefix: string): string {
  return `${prefix}.ctl`;
}

/** `<prefix>.node`: NodeInfo heartbeats from every node. */
export function nodeSubject(prefix: string): string {
  return `${prefix}.node`;
}

/** `<prefix>.node.channels`: ChannelsSurvey to every edge. */
export function channelsSurveySubject(prefix: string): string {
  return `${prefix}.node.channels`;
}

/** A fresh subject for the replies of one survey. */
export function surveyReplySubject(prefix: string): string {
  return `${prefix}.api.survey.${randomUUID().replaceAll('-', '')}`;
}
