// In-process Bus for the embedded one-process server. A MemoryBusHub plays the NATS server; each
// MemoryBus is one "connection" to it, so services in one process keep separate subscriptions and
// close independently, exactly as they would over NATS. See bus.ts for the contract.
import { randomBytes } from 'node:crypto';
import {
  BusClosedError,
  BusNoRespondersError,
  BusTimeoutError,
  type Bus,
  type BusHandler,
  type BusMessage,
  type BusRequestOptions,
  type BusStatusEvent,
  type BusStatusListener,
  type BusSubscription,
} from './bus.js';
import { assertValidQueue, assertValidSubject } from './subject.js';

/** Messages one subscription handles per event-loop turn before yielding to I/O. */
const DRAIN_BATCH = 1024;

interface Sub {
  readonly bus: MemoryBus;
  readonly subject: string;
  readonly tokens: readonly string[];
  readonly queue: string | undefined;
  readonly handler: BusHandler;
  readonly pending: MemoryMessage[];
  scheduled: boolean;
  closed: boolean;
}

class TrieNode {
  readonly children = new Map<string, TrieNode>();
  star: TrieNode | undefined;
  /** Subscriptions ending at this node. */
  readonly subs = new Set<Sub>();
  /** Subscriptions whose pattern ends with `>` right after this node. */
  readonly rest = new Set<Sub>();

  isEmpty(): boolean {
    return this.children.size === 0 && this.star === undefined && this.subs.size === 0 && this.rest.size === 0;
  }
}

class SubjectTrie {
  private readonly root = new TrieNode();

  insert(sub: Sub): void {
    let node = this.root;
    for (const t of sub.tokens) {
      if (t === '>') {
        node.rest.add(sub);
        return;
      }
      if (t === '*') {
        node.star ??= new TrieNode();
        node = node.star;
      } else {
        let next = node.children.get(t);
        if (!next) {
          next = new TrieNode();
          node.children.set(t, next);
        }
        node = next;
      }
    }
    node.subs.add(sub);
  }

  /** Removes `sub` and prunes nodes left empty, so churned subjects do not accumulate. */
  remove(sub: Sub): void {
    const path: Array<[TrieNode, string]> = [];
    let node: TrieNode | undefined = this.root;
    for (const t of sub.tokens) {
      if (t === '>') {
        node.rest.delete(sub);
        break;
      }
      const next: TrieNode | undefined = t === '*' ? node.star : node.children.get(t);
      if (!next) return;
      path.push([node, t]);
      node = next;
    }
    if (sub.tokens[sub.tokens.length - 1] !== '>') node.subs.delete(sub);
    for (let i = path.length - 1; i >= 0; i--) {
      const [parent, t] = path[i]!;
      const child = t === '*' ? parent.star : parent.children.get(t);
      if (!child || !child.isEmpty()) break;
      if (t === '*') parent.star = undefined;
      else parent.children.delete(t);
    }
  }

  match(tokens: readonly string[], out: Sub[]): void {
    this.walk(this.root, tokens, 0, out);
  }

  private walk(node: TrieNode, tokens: readonly string[], i: number, out: Sub[]): void {
    if (i < tokens.length && node.rest.size > 0) for (const s of node.rest) out.push(s);
    if (i === tokens.length) {
      for (const s of node.subs) out.push(s);
      return;
    }
    const next = node.children.get(tokens[i]!);
    if (next) this.walk(next, tokens, i + 1, out);
    if (node.star) this.walk(node.star, tokens, i + 1, out);
  }
}

class MemoryMessage implements BusMessage {
  constructor(
    private readonly hub: MemoryBusHub,
    readonly subject: string,
    readonly data: Uint8Array,
    private readonly reply: string | undefined,
  ) {}

  respond(data: Uint8Array): boolean {
    if (this.reply === undefined) return false;
    this.hub.route(this.reply, new Uint8Array(data), undefined);
    return true;
  }
}

/** The in-process "server": routes messages between the MemoryBus connections made from it. */
export class MemoryBusHub {
  readonly id = randomBytes(6).toString('hex');
  private readonly trie = new SubjectTrie();
  private readonly queueCursor = new Map<string, number>();
  private readonly inboxes = new Map<string, (data: Uint8Array) => void>();
  private nextInbox = 0;

  /** Opens a new connection to this hub. */
  connect(opts: { name?: string } = {}): MemoryBus {
    return new MemoryBus(this, opts.name ?? 'memory');
  }

  /** @internal */
  addSub(sub: Sub): void {
    this.trie.insert(sub);
  }

  /** @internal */
  removeSub(sub: Sub): void {
    this.trie.remove(sub);
  }

  /** @internal */
  newInbox(handler: (data: Uint8Array) => void): string {
    const inbox = `_INBOX.${this.id}.${(this.nextInbox++).toString(36)}`;
    this.inboxes.set(inbox, handler);
    return inbox;
  }

  /** @internal */
  dropInbox(inbox: string): void {
    this.inboxes.delete(inbox);
  }

  /**
   * Routes one message; returns how many subscriptions (plus request inboxes) it was queued for.
   * @internal
   */
  route(subject: string, data: Uint8Array, reply: string | undefined): number {
    let delivered = 0;
    const inbox = this.inboxes.get(subject);
    if (inbox) {
      // Replies keep asynchronous delivery like everything else.
      setImmediate(inbox, data);
      delivered++;
    }
    const matched: Sub[] = [];
    this.trie.match(subject.split('.'), matched);
    if (matched.length === 0) return delivered;
    const msg = new MemoryMessage(this, subject, data, reply);
    let groups: Map<string, Sub[]> | undefined;
    for (const sub of matched) {
      if (sub.queue === undefined) {
        enqueue(sub, msg);
        delivered++;
      } else {
        groups ??= new Map();
        const members = groups.get(sub.queue);
        if (members) members.push(sub);
        else groups.set(sub.queue, [sub]);
      }
    }
    if (groups) {
      for (const [queue, members] of groups) {
        const n = this.queueCursor.get(queue) ?? 0;
        this.queueCursor.set(queue, (n + 1) % 1_000_000_007);
        enqueue(members[n % members.length]!, msg);
        delivered++;
      }
    }
    return delivered;
  }
}

function enqueue(sub: Sub, msg: MemoryMessage): void {
  sub.pending.push(msg);
  if (!sub.scheduled) {
    sub.scheduled = true;
    setImmediate(drain, sub);
  }
}

function drain(sub: Sub): void {
  sub.scheduled = false;
  let handled = 0;
  while (!sub.closed && sub.pending.length > 0 && handled < DRAIN_BATCH) {
    // shift() on a large array is O(n); take the batch off the front in one splice instead.
    const batch = sub.pending.splice(0, Math.min(DRAIN_BATCH - handled, sub.pending.length));
    for (const msg of batch) {
      if (sub.closed) return;
      handled++;
      try {
        sub.handler(msg);
      } catch (error) {
        sub.bus.reportHandlerError(sub.subject, error);
      }
    }
  }
  if (!sub.closed && sub.pending.length > 0) {
    sub.scheduled = true;
    setImmediate(drain, sub);
  }
}

/** One connection to a MemoryBusHub. Always connected until closed. */
export class MemoryBus implements Bus {
  private readonly subs = new Set<Sub>();
  private readonly requests = new Set<(error: Error) => void>();
  private readonly listeners = new Set<BusStatusListener>();
  private closed = false;

  constructor(
    readonly hub: MemoryBusHub = new MemoryBusHub(),
    readonly name = 'memory',
  ) {}

  get isConnected(): boolean {
    return !this.closed;
  }

  publish(subject: string, data: Uint8Array): void {
    this.checkOpen();
    assertValidSubject(subject, false);
    this.hub.route(subject, new Uint8Array(data), undefined);
  }

  subscribe(subject: string, handler: BusHandler): BusSubscription {
    return this.addSub(subject, undefined, handler);
  }

  queueSubscribe(subject: string, queue: string, handler: BusHandler): BusSubscription {
    assertValidQueue(queue);
    return this.addSub(subject, queue, handler);
  }

  request(subject: string, data: Uint8Array, opts: BusRequestOptions): Promise<Uint8Array> {
    if (this.closed) return Promise.reject(new BusClosedError());
    try {
      assertValidSubject(subject, false);
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise<Uint8Array>((resolve, reject) => {
      let inbox = '';
      const finish = (): void => {
        clearTimeout(timer);
        this.hub.dropInbox(inbox);
        this.requests.delete(fail);
      };
      const fail = (error: Error): void => {
        finish();
        reject(error);
      };
      const timer = setTimeout(() => fail(new BusTimeoutError(subject, opts.timeoutMs)), opts.timeoutMs);
      inbox = this.hub.newInbox((reply) => {
        finish();
        resolve(reply);
      });
      this.requests.add(fail);
      const receivers = this.hub.route(subject, new Uint8Array(data), inbox);
      if (receivers === 0) fail(new BusNoRespondersError(subject));
    });
  }

  flush(): Promise<void> {
    if (this.closed) return Promise.reject(new BusClosedError());
    return new Promise((resolve) => setImmediate(resolve));
  }

  onStatus(listener: BusStatusListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const sub of this.subs) this.dropSub(sub);
    for (const fail of [...this.requests]) fail(new BusClosedError());
    this.emit({ type: 'closed' });
  }

  /** @internal */
  reportHandlerError(subject: string, error: unknown): void {
    if (this.listeners.size === 0) {
      console.error(`[gyre/bus] handler for ${subject} threw:`, error);
      return;
    }
    this.emit({ type: 'handler_error', detail: subject, error });
  }

  private emit(event: BusStatusEvent): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch (error) {
        console.error('[gyre/bus] status listener threw:', error);
      }
    }
  }

  private addSub(subject: string, queue: string | undefined, handler: BusHandler): BusSubscription {
    this.checkOpen();
    assertValidSubject(subject, true);
    const sub: Sub = {
      bus: this,
      subject,
      tokens: subject.split('.'),
      queue,
      handler,
      pending: [],
      scheduled: false,
      closed: false,
    };
    this.subs.add(sub);
    this.hub.addSub(sub);
    return { unsubscribe: () => this.dropSub(sub) };
  }

  private dropSub(sub: Sub): void {
    if (sub.closed) return;
    sub.closed = true;
    sub.pending.length = 0;
    this.subs.delete(sub);
    this.hub.removeSub(sub);
  }

  private checkOpen(): void {
    if (this.closed) throw new BusClosedError();
  }
}

/** A bus on a hub of its own (or on `hub` when given, to share it with other connections). */
export function createMemoryBus(hub: MemoryBusHub = new MemoryBusHub(), name?: string): MemoryBus {
  return new MemoryBus(hub, name);
}
