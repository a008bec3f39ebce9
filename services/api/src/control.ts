/**
 * Server-side subscribe / unsubscribe / disconnect / refresh: one Control message on
 * `<prefix>.ctl`, which every edge applies to its own matching connections (so connections on any
 * node are reached). Fire and forget, as in Centrifugo: the API answers once the command is on
 * the bus, not when connections were found.
 */
import { create, toBinary } from '@bufbuild/protobuf';
import type { Bus } from '@gyre/bus';
import { bus as busPb } from '@gyre/protocol';
import { controlSubject } from './subjects.js';

export type ControlCommand = busPb.Control['command'];

export class ControlPublisher {
  constructor(private readonly bus: Bus, private readonly prefix: string, private readonly nodeId: string) {}

  /** Throws when the bus is closed (the caller answers 100). */
  send(command: ControlCommand): void {
    const ctl = create(busPb.ControlSchema, { originNode: this.nodeId, sentAtMs: BigInt(Date.now()), command });
    this.bus.publish(controlSubject(this.prefix), toBinary(busPb.ControlSchema, ctl));
  }
}

export function target(user: string, client: string, session: string, allUsers = false): busPb.ControlTarget {
  return create(busPb.ControlTargetSchema, { user, client, session, allUsers });
}
