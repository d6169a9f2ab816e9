/**
 * Theory of operation: one hub, several transports. A `Hub` takes exactly one
 * `HubTransport`; `combineTransports(tcp, memory.transport)` is one transport
 * made of several — e.g. TCP for native clients plus an in-process memory
 * network for a bridge component. It is a pure routing layer: it makes no
 * protocol decision, keeps no queue and never looks inside a frame.
 *
 * - Link ids. Each inner transport numbers its own links, so two of them may
 *   both report link 1. The combination gives the hub its own ("outer") ids:
 *   the first fact of an inner link not yet mapped takes the next id of a u32
 *   counter that skips ids still mapped (`LinkIdAllocator`), so an outer id is
 *   never reused while its link is open (rule 5). Each inner transport has two
 *   maps, inner → outer (for its facts) and outer → inner (for commands).
 * - Facts (rule 1). Every inner transport is started with a sink of its own
 *   that rewrites `link` and calls the hub's sink synchronously, so facts of
 *   one link keep their order. A `connectionClosed` forgets the mapping after
 *   it is passed on; one for an inner link that has no mapping (a link that
 *   ended before it carried anything) goes out under a fresh outer id that is
 *   not kept.
 * - Commands (rules 2, 3). `execute` finds the inner transport that owns
 *   `command.link` and calls its `execute` at once, with the inner id — no
 *   await in between, so commands for one link reach it in call order. A
 *   command for an outer id that is not mapped rejects, naming the link. The
 *   inner transport's own rejection comes back unchanged.
 * - Forgetting (rule 4). Besides `connectionClosed`, a mapping is forgotten
 *   once a `close` command for it has settled (resolved or rejected): after
 *   the hub's close the inner transport reports nothing more for that link,
 *   and its id may come back as a new link, which then gets a new outer id.
 *   Both removals check that the mapping is still the one they meant, so a
 *   close settling late never unmaps a newer link on a reused inner id.
 * - Lifecycle. `start` starts the inner transports one after the other; if
 *   one rejects, those already started are stopped and `start` rejects with
 *   that error. `stop` stops every inner transport (all of them, even when
 *   one rejects), then rejects with the first error, if any; it is
 *   idempotent.
 */
import { isU32Id, type LinkId } from '@dialoghub/core';
import { LinkIdAllocator } from './link-ids.js';
import type { HubTransport, TransportCommand, TransportEvent } from './transport.js';

/** Options of `CombinedTransport`; every field is optional. */
export interface CombinedTransportOptions {
  /** The first outer link id handed out (an integer in [1, 2^32)); default 1. For tests of id wrap-around. */
  readonly firstLinkId?: number;
}

/** Where an outer link lives: which inner transport carries it, under which of that transport's ids. */
export interface CombinedRoute {
  /** The inner transport's position in the list given to `combineTransports`. */
  readonly index: number;
  /** The inner transport itself. */
  readonly transport: HubTransport;
  /** The link's id inside that transport. */
  readonly link: LinkId;
}

/** One inner transport and its two maps. */
interface Member {
  readonly index: number;
  readonly transport: HubTransport;
  /** Inner link id → outer link id, for facts. */
  readonly toOuter: Map<number, LinkId>;
  /** Outer link id → inner link id, for commands. */
  readonly toInner: Map<number, LinkId>;
}

type Phase = 'new' | 'starting' | 'started' | 'failed' | 'stopped';

/**
 * Several `HubTransport`s presented to a hub as one. Create it with
 * `combineTransports(...)` (or `new CombinedTransport([...])` for options) and
 * pass it to `Hub.open({ transport })`. Link ids the hub sees are the
 * combination's own, unique across all inner transports.
 */
export class CombinedTransport implements HubTransport {
  /** The inner transports, in the order they are started. */
  readonly transports: readonly HubTransport[];
  private readonly members: readonly Member[];
  private readonly linkIds: LinkIdAllocator;
  private phase: Phase = 'new';
  private stopping: Promise<void> | null = null;

  /**
   * @param transports the inner transports (at least one, each at most once), none started yet.
   * @throws TypeError for an empty list or a transport listed twice.
   * @throws RangeError for an invalid `firstLinkId`.
   */
  constructor(transports: readonly HubTransport[], options: CombinedTransportOptions = {}) {
    if (transports.length === 0) throw new TypeError('combineTransports needs at least one transport');
    if (new Set(transports).size !== transports.length) throw new TypeError('combineTransports: the same transport is listed twice');
    const first = options.firstLinkId ?? 1;
    if (!isU32Id(first)) throw new RangeError(`firstLinkId must be an integer in [1, 2^32), got ${String(first)}`);
    this.transports = [...transports];
    this.members = this.transports.map((transport, index) => ({ index, transport, toOuter: new Map(), toInner: new Map() }));
    this.linkIds = new LinkIdAllocator(first);
  }

  /**
   * Starts the inner transports in order, each with a sink that passes its
   * facts on to `sink` under outer link ids. Resolves when all are started.
   * If one rejects, the ones already started are stopped and the promise
   * rejects with that error. Rejects, starting nothing, when called a second
   * time or after `stop`.
   */
  async start(sink: (event: TransportEvent) => void): Promise<void> {
    if (this.phase !== 'new') {
      throw new Error(this.phase === 'stopped' ? 'the combined transport is stopped' : this.phase === 'failed' ? 'the combined transport failed to start' : 'the combined transport was already started');
    }
    this.phase = 'starting';
    const started: Member[] = [];
    for (const member of this.members) {
      try {
        await member.transport.start((event) => this.forward(member, event, sink));
      } catch (error) {
        if (this.phase === 'starting') this.phase = 'failed';
        await Promise.allSettled(started.map((m) => callStop(m.transport)));
        throw error;
      }
      started.push(member);
      // `stop()` may have run while we awaited (TypeScript's narrowing of `phase` cannot know).
      if ((this.phase as Phase) === 'stopped') throw new Error('the combined transport was stopped while it was starting');
    }
    this.phase = 'started';
  }

  /**
   * Carries out `command` on the inner transport that owns `command.link`,
   * under that transport's id for the link, and returns its promise. Rejects
   * when no inner transport owns the link (unknown, or already closed).
   */
  execute(command: TransportCommand): Promise<void> {
    const outer = command.link;
    const member = this.members.find((m) => m.toInner.has(outer));
    if (member === undefined) {
      return Promise.reject(new Error(`link ${String(outer)} is unknown to the combined transport (never opened, or already closed)`));
    }
    const inner = member.toInner.get(outer)!;
    let result: Promise<void>;
    try {
      result = member.transport.execute(withLink(command, inner));
    } catch (error) {
      result = Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    if (command.type === 'close') {
      const forget = (): void => this.forget(member, inner, outer);
      result.then(forget, forget);
    }
    return result;
  }

  /**
   * Stops every inner transport (each told to shut its links down), all of
   * them even when one rejects; then rejects with the first error, if any.
   * Idempotent: later calls return the same promise.
   */
  stop(): Promise<void> {
    if (this.stopping !== null) return this.stopping;
    this.phase = 'stopped';
    const all = Promise.allSettled(this.members.map((m) => callStop(m.transport)));
    this.stopping = all.then((outcomes) => {
      for (const outcome of outcomes) if (outcome.status === 'rejected') throw outcome.reason;
    });
    return this.stopping;
  }

  /** Where outer link `link` is carried now, or undefined when it is not open (never seen, closed, lost). */
  routeOf(link: LinkId): CombinedRoute | undefined {
    for (const m of this.members) {
      const inner = m.toInner.get(link);
      if (inner !== undefined) return { index: m.index, transport: m.transport, link: inner };
    }
    return undefined;
  }

  /** The outer id the hub knows inner link `link` of `transport` by, or undefined when it has none now. */
  outerLinkOf(transport: HubTransport, link: LinkId): LinkId | undefined {
    return this.members.find((m) => m.transport === transport)?.toOuter.get(link);
  }

  // ---- facts ------------------------------------------------------------------

  private forward(member: Member, event: TransportEvent, sink: (event: TransportEvent) => void): void {
    const inner = event.link;
    switch (event.type) {
      case 'requestReceived':
      case 'messagesReceived':
        sink({ ...event, link: this.outerOf(member, inner) });
        return;
      case 'connectionClosed': {
        // An inner link that ended before it carried anything has no outer id: give it a fresh one, not kept.
        const outer = member.toOuter.get(inner) ?? this.linkIds.next((id) => this.inUse(id));
        this.forget(member, inner, outer);
        sink({ ...event, link: outer });
        return;
      }
      default: {
        const never: never = event;
        throw new TypeError(`not a transport event: ${JSON.stringify(never)}`);
      }
    }
  }

  /** The outer id of an inner link, allocated on its first fact. */
  private outerOf(member: Member, inner: LinkId): LinkId {
    const known = member.toOuter.get(inner);
    if (known !== undefined) return known;
    const outer = this.linkIds.next((id) => this.inUse(id));
    member.toOuter.set(inner, outer);
    member.toInner.set(outer, inner);
    return outer;
  }

  private inUse(id: number): boolean {
    return this.members.some((m) => m.toInner.has(id));
  }

  /** Drops the mapping inner ↔ outer, but only if it is still that pair (the inner id may have come back as a new link). */
  private forget(member: Member, inner: LinkId, outer: LinkId): void {
    if (member.toOuter.get(inner) === outer) member.toOuter.delete(inner);
    if (member.toInner.get(outer) === inner) member.toInner.delete(outer);
  }
}

/**
 * Combines several transports into one for a single `Hub`: every inner
 * transport is started, its links are renumbered so their ids are unique
 * across all of them, and each hub command goes to the transport that
 * carries its link.
 *
 * ```ts
 * const bridge = createMemoryNetwork();
 * const hub = await Hub.open({ transport: combineTransports(new TcpTransport(options), bridge.transport), store });
 * ```
 *
 * @throws TypeError for no transports or a transport listed twice.
 */
export function combineTransports(...transports: HubTransport[]): CombinedTransport {
  return new CombinedTransport(transports);
}

/** The inner transport's command under its own link id. Every transport command carries exactly one link field, `link`. */
function withLink(command: TransportCommand, link: LinkId): TransportCommand {
  switch (command.type) {
    case 'reply':
      return { ...command, link };
    case 'writeDialog':
      return { ...command, link };
    case 'close':
      return { ...command, link };
    default: {
      const never: never = command;
      throw new TypeError(`not a transport command: ${JSON.stringify(never)}`);
    }
  }
}

/** `transport.stop()`, with a synchronous throw turned into a rejection. */
function callStop(transport: HubTransport): Promise<void> {
  try {
    return transport.stop();
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
}

// Compile-time guard: `link` is the only field of a transport event or command that holds a link id.
// If the core adds another one, this fails to compile until the routing above maps it too.
type LinkFields<T> = T extends unknown ? { [K in keyof T]-?: [Extract<T[K], LinkId>] extends [never] ? never : K }[keyof T] : never;
const onlyLinkField: [Exclude<LinkFields<TransportEvent | TransportCommand>, 'link'>] extends [never] ? true : false = true;
void onlyLinkField;
