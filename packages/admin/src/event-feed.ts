/**
 * Theory of operation: the live feed — every hub event (online, offline,
 * takeovers with their reason, status and profile changes, request
 * rejections, deletions) as server-sent events.
 *
 * Events get an increasing id and the hub's time, and the latest `backlog`
 * of them are kept, so a page that opens (or reconnects with
 * `Last-Event-ID`) first gets what it missed, then the live stream. Ids
 * restart at 1 with every console (a hub restart), so the SSE id is
 * `<epoch>-<id>`, the epoch drawn when the feed starts: a page that
 * reconnects with the id of an earlier console gets the whole backlog
 * rather than nothing until the new ids catch up with its old one. A slow
 * subscriber is never allowed to hold unbounded memory: once more than
 * `maxBuffered` bytes wait in its socket, it is disconnected (it reconnects
 * and catches up from the backlog).
 */
import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { HubEvent } from '@dialoghub/core';
import type { FeedEntry } from './api-types.js';
import { COMMON_HEADERS } from './http.js';

/** Options of the feed. */
export interface EventFeedOptions {
  /** Events kept for late subscribers. Default 200. */
  readonly backlog?: number;
  /** Bytes a subscriber may leave unread before it is dropped. Default 1 MiB. */
  readonly maxBuffered?: number;
  /** This feed's epoch, the first part of its SSE ids (lower-case hex). Default: 8 random hex digits. */
  readonly epoch?: string;
}

/** The event as plain JSON (ids are branded numbers already). */
function plain(event: HubEvent): FeedEntry['event'] {
  return { ...event } as FeedEntry['event'];
}

/** The SSE text of one entry of the feed of `epoch`. */
export function sseFrame(entry: FeedEntry, epoch: string): string {
  return `id: ${epoch}-${entry.id}\nevent: ${entry.event.type}\ndata: ${JSON.stringify(entry)}\n\n`;
}

/** The hub's events, kept and fanned out to subscribers. */
export class EventFeed {
  private readonly kept: FeedEntry[] = [];
  private readonly subscribers = new Set<ServerResponse>();
  private nextId = 1;
  private readonly backlog: number;
  private readonly maxBuffered: number;
  /** The first part of every SSE id of this feed (see the module comment). */
  readonly epoch: string;

  constructor(options: EventFeedOptions = {}) {
    this.backlog = options.backlog ?? 200;
    this.maxBuffered = options.maxBuffered ?? 1 << 20;
    this.epoch = options.epoch ?? randomBytes(4).toString('hex');
    if (!/^[0-9a-f]{1,32}$/.test(this.epoch)) throw new TypeError(`a feed epoch is 1 to 32 lower-case hex digits, got ${this.epoch}`);
  }

  /**
   * The entry id to resume after, from a `Last-Event-ID` header or a `since`
   * query: `<epoch>-<id>` of this feed gives `id`; of another (an earlier
   * console) 0, the whole backlog. A bare `<id>` is taken as this feed's,
   * unless no such id was issued yet (0 then too). Anything else: undefined.
   */
  resumeAfter(lastEventId: string): number | undefined {
    const m = /^(?:([0-9a-f]{1,32})-)?([0-9]{1,15})$/.exec(lastEventId);
    if (m === null) return undefined;
    const id = Number(m[2]);
    if (m[1] !== undefined && m[1] !== this.epoch) return 0;
    return id < this.nextId ? id : 0;
  }

  /** Records an event at the hub's time `at` and sends it to every subscriber. */
  publish(event: HubEvent, at: number): FeedEntry {
    const entry: FeedEntry = { id: this.nextId++, at, event: plain(event) };
    this.kept.push(entry);
    if (this.kept.length > this.backlog) this.kept.splice(0, this.kept.length - this.backlog);
    const frame = sseFrame(entry, this.epoch);
    for (const res of this.subscribers) this.write(res, frame);
    return entry;
  }

  /** The kept entries after `afterId`, oldest first. */
  since(afterId: number): readonly FeedEntry[] {
    return this.kept.filter((e) => e.id > afterId);
  }

  /** Number of open subscriptions. */
  get subscriberCount(): number {
    return this.subscribers.size;
  }

  /** Starts an SSE response: the entries after `afterId`, then every new one until the client goes away. */
  subscribe(res: ServerResponse, afterId: number): void {
    res.writeHead(200, { ...COMMON_HEADERS, 'content-type': 'text/event-stream; charset=utf-8', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    res.write('retry: 2000\n\n');
    for (const entry of this.since(afterId)) res.write(sseFrame(entry, this.epoch));
    this.subscribers.add(res);
    res.on('close', () => this.subscribers.delete(res));
  }

  /** A comment line to every subscriber, so proxies keep idle streams open. */
  heartbeat(): void {
    for (const res of this.subscribers) this.write(res, ': keep-alive\n\n');
  }

  /** Ends every subscription (the server is closing). */
  close(): void {
    for (const res of this.subscribers) res.end();
    this.subscribers.clear();
  }

  private write(res: ServerResponse, frame: string): void {
    if (res.writableLength > this.maxBuffered) {
      this.subscribers.delete(res);
      res.destroy();
      return;
    }
    res.write(frame);
  }
}
