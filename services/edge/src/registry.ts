/**
 * The connections of this edge: every open one (for shutdown and the backpressure sweep), the
 * authenticated ones by client id and by user (for control commands, the per-user connection
 * limit and the node counts). Anonymous connections are indexed under user "".
 */
import type { Client } from './client.js';

export class Registry {
  /** Every open connection, connected or not yet. */
  readonly all = new Set<Client>();
  private readonly byId = new Map<string, Client>();
  private readonly byUser = new Map<string, Set<Client>>();

  opened(c: Client): void {
    this.all.add(c);
  }

  /** The connection authenticated as `c.user`. */
  connected(c: Client): void {
    this.byId.set(c.id, c);
    let set = this.byUser.get(c.user);
    if (!set) {
      set = new Set();
      this.byUser.set(c.user, set);
    }
    set.add(c);
  }

  closed(c: Client): void {
    this.all.delete(c);
    if (this.byId.get(c.id) === c) this.byId.delete(c.id);
    const set = this.byUser.get(c.user);
    if (set?.delete(c) && set.size === 0) this.byUser.delete(c.user);
  }

  get(id: string): Client | undefined {
    return this.byId.get(id);
  }

  userConnections(user: string): ReadonlySet<Client> | undefined {
    return this.byUser.get(user);
  }

  /** Authenticated connections. */
  get numClients(): number {
    return this.byId.size;
  }

  /** Distinct users among authenticated connections (anonymous ones count as one). */
  get numUsers(): number {
    return this.byUser.size;
  }

  /** Every authenticated connection. */
  clients(): IterableIterator<Client> {
    return this.byId.values();
  }
}
