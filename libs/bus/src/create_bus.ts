// Builds the Bus a process is configured for: the in-process hub (embedded mode) or NATS (cluster).
import type { Bus } from './bus.js';
import { MemoryBus, MemoryBusHub } from './bus_memory.js';
import { connectNatsBus, type NatsBusOptions } from './bus_nats.js';

export type CreateBusOptions =
  | { type: 'memory'; /** Share a hub with other buses of this process (default: a new hub). */ hub?: MemoryBusHub; name?: string }
  | ({ type: 'nats' } & NatsBusOptions);

/** Connects the configured bus. For NATS it rejects when the first connection fails (unless waitOnFirstConnect). */
export async function createBus(opts: CreateBusOptions): Promise<Bus> {
  if (opts.type === 'memory') return new MemoryBus(opts.hub ?? new MemoryBusHub(), opts.name ?? 'memory');
  const { type: _type, ...nats } = opts;
  return connectNatsBus(nats);
}
