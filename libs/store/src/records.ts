// Records shared by the history and presence stores.

/** A position in a channel's publication stream. Offsets mean something only together with their epoch. */
export interface StreamPosition {
  offset: bigint;
  /** Identifies one incarnation of the stream; '' when the channel keeps no stream. */
  epoch: string;
}

/** Who published or who is present: Centrifugo's ClientInfo. */
export interface ClientInfoRecord {
  user: string;
  client: string;
  /** Connection info (from the connection token or connect proxy), raw bytes. */
  connInfo?: Uint8Array;
  /** Channel info (from the subscription token or subscribe proxy), raw bytes. */
  chanInfo?: Uint8Array;
}
