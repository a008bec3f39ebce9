/**
 * The connections of this edge: every open one (for shutdown and the backpressure sweep), the
 * authenticated ones by client id and by user (for control commands, the per-user connection
 * limit and the node counts), and the emulated / unidirectional ones by session (for /emulation,
 * from open to close). Anonymous connections are indexed under user "".
 */
import type { Client } from './client.js';

export class Registry {
  /** Every open connection, connected or not yet. */
  readonly all = new Set<Client>();
  private readonly byId = new Map<string, Client>();
  private readonly byUser = new Map<string, Set<Client>>();
  private readonly bySession = new Map<string, Client>();

  opened(c: Client): void {
    this.all.add(c);
    if (c.session !== '') this.bySession.set(c.session, c);
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
    if (c.session !== '' && this.bySession.get(c.session) === c) this.bySession.delete(c.session);
    if (this.byId.get(c.id) === c) this.byId.delete(c.id);
    const set = this.byUser.get(c.user);
    if (set?.delete(c) && set.size === 0) this.byUser.delete(c.user);
  }

  get(id: string): Client | undefined {
    return this.byId.get(id);
  }

  /** The open connection with this session (emulated and unidirectional ones). */
  session(session: string): Client | undefined {
    return this.bySession.get(session);
  }

  /** Open connections that have a session. */
  get numSessions(): number {
    return this.bySession.size;
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
