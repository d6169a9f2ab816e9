/**
 * Theory of operation: the simulated clients' own view of the hub, the way
 * real client engines would keep it, learned only from the commands the hub
 * emits (never from the hub's state). It tells the workload which clients are
 * online and on which link, which are enabled or disabled, the client's last
 * sequence number sent and the highest hub sequence number it received (its
 * piggybacked ack).
 *
 * Columns are typed arrays indexed by client id: they live outside the V8 heap,
 * so they do not disturb the heap-per-client figure, and a million clients
 * cost a few tens of megabytes.
 */
import type { HubCommand } from './api.js';
import type { Rng } from './rng.js';

export const NONE = 0;
export const ENABLED = 1;
export const DISABLED = 2;
export const BANNED = 3;
export const RESET = 4;

const STATUS_CODE: Readonly<Record<string, number>> = { enabled: ENABLED, disabled: DISABLED, banned: BANNED, reset: RESET };

/** What the workload wants to hear about: hub→client messages arrived on a client's live link. */
export interface DeliveryHook {
  /** `syncSeq` is the seq of the last Sync in the write, or 0 when it held none. */
  delivered(client: number, link: number, syncSeq: number): void;
}

export class ClientTable {
  /** Highest client id in use. */
  count = 0;
  /** Clients with a live link (muted ones included). */
  onlineCount = 0;
  /** Online clients that still talk (not muted): the ones the workload picks from. */
  pickableCount = 0;
  link: Uint32Array;
  seq: Uint32Array;
  heard: Uint32Array;
  status: Uint8Array;
  profile: Uint32Array;
  muted: Uint8Array;
  private pickable: Int32Array;
  private pos: Int32Array;

  constructor(capacity: number) {
    this.link = new Uint32Array(capacity + 1);
    this.seq = new Uint32Array(capacity + 1);
    this.heard = new Uint32Array(capacity + 1);
    this.status = new Uint8Array(capacity + 1);
    this.profile = new Uint32Array(capacity + 1);
    this.muted = new Uint8Array(capacity + 1);
    this.pickable = new Int32Array(capacity + 1);
    this.pos = new Int32Array(capacity + 1).fill(-1);
  }

  /** Makes room for client id `id`. */
  ensure(id: number): void {
    if (id < this.link.length) return;
    const size = Math.max(id + 1, this.link.length * 2);
    const grow = <T extends Uint32Array | Uint8Array | Int32Array>(a: T, fill = 0): T => {
      const b = new (a.constructor as new (n: number) => T)(size);
      if (fill !== 0) b.fill(fill);
      b.set(a);
      return b;
    };
    this.link = grow(this.link);
    this.seq = grow(this.seq);
    this.heard = grow(this.heard);
    this.status = grow(this.status);
    this.profile = grow(this.profile);
    this.muted = grow(this.muted);
    this.pickable = grow(this.pickable);
    this.pos = grow(this.pos, -1);
  }

  /** A client that was newly registered. */
  add(id: number, profile: number): void {
    this.ensure(id);
    this.profile[id] = profile;
    if (id > this.count) this.count = id;
  }

  setOnline(c: number, link: number): void {
    if (this.link[c] === 0) this.onlineCount++;
    this.link[c] = link;
    if (this.muted[c] === 0) this.addPickable(c);
  }

  setOffline(c: number): void {
    if (this.link[c] === 0) return;
    this.link[c] = 0;
    this.onlineCount--;
    this.muted[c] = 0;
    this.removePickable(c);
  }

  /** The client stops answering (its network died silently): only a heartbeat timeout will notice. */
  mute(c: number): void {
    this.muted[c] = 1;
    this.removePickable(c);
  }

  /** A random online, talking client, or 0 when there is none. */
  pickOnline(rng: Rng): number {
    return this.pickableCount === 0 ? 0 : this.pickable[Math.floor(rng() * this.pickableCount)]!;
  }

  /** A random client id satisfying `pred`, by rejection sampling; 0 when `tries` draws found none. */
  pickWhere(rng: Rng, pred: (c: number) => boolean, tries = 64): number {
    for (let i = 0; i < tries; i++) {
      const c = 1 + Math.floor(rng() * this.count);
      if (pred(c)) return c;
    }
    return 0;
  }

  /** Learns what a step's commands tell the clients. */
  observe(commands: readonly HubCommand[], hook: DeliveryHook | null): void {
    for (const cmd of commands) {
      switch (cmd.type) {
        case 'writeDialog': {
          const c = cmd.clientId as number;
          if (this.link[c] !== cmd.link) break;
          let top = 0;
          let sync = 0;
          for (const m of cmd.messages) {
            if (m.seq > top) top = m.seq;
            if (m.body.type === 'sync') sync = m.seq;
          }
          if (top > this.heard[c]!) this.heard[c] = top;
          if (top > 0 && hook !== null) hook.delivered(c, cmd.link, sync);
          break;
        }
        case 'reply':
          if (cmd.answer.code === 'ok') {
            // The session is open on this link from here on (the resend follows before `clientOnline`).
            this.seq[cmd.answer.clientId] = cmd.answer.lastReceived;
            this.setOnline(cmd.answer.clientId, cmd.link);
          }
          break;
        case 'notify': {
          const e = cmd.event;
          if (e.type === 'clientOnline') this.setOnline(e.clientId, e.link);
          else if (e.type === 'clientOffline') {
            if (this.link[e.clientId] === e.link) this.setOffline(e.clientId);
          } else if (e.type === 'statusChanged') this.status[e.clientId] = STATUS_CODE[e.to]!;
          else if (e.type === 'clientRegistered') this.status[e.clientId] = ENABLED;
          break;
        }
        default:
          break;
      }
    }
  }

  private addPickable(c: number): void {
    if (this.pos[c] !== -1) return;
    this.pos[c] = this.pickableCount;
    this.pickable[this.pickableCount++] = c;
  }

  private removePickable(c: number): void {
    const i = this.pos[c]!;
    if (i === -1) return;
    const last = this.pickable[--this.pickableCount]!;
    this.pickable[i] = last;
    this.pos[last] = i;
    this.pos[c] = -1;
  }
}
