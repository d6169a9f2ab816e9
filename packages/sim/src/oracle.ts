/**
 * Theory of operation: the end-to-end bookkeeping — what the simulated
 * application and the simulated clients saw, checked against each other.
 *
 * Client→hub: every hand-over (`deliver`) the application receives is
 * recorded per client. A (clientId, seq) may come again only after a hub
 * crash, and only while its handling was not durably confirmed
 * (`appMessageHandled` committed): the re-delivery of `pendingDeliveries`.
 * When a client sees one of its chat messages acknowledged, that message must
 * have been handed over (each exactly once, in order).
 *
 * Hub→client: each push the application was told was queued ("queued as
 * message N") is expected at its client, in order, with its payload. At the
 * end, a push the client never received must still be unacknowledged in the
 * hub's outbox — otherwise it was lost.
 *
 * Two processes sharing one client id break the dialog on purpose (each has
 * its own counters); their id is marked shared and left out of the
 * end-to-end checks (the core-level checks still apply to them).
 */
import { clientDialogOf, type HubState } from '@dialoghub/core';
import { decodePayload, PUSH_MAGIC } from './payload.js';
import type { Violation } from './violation.js';

export class Oracle {
  /** The hub's lifetime: incremented by every crash. */
  life = 0;
  private readonly shared = new Set<number>();
  private readonly maxDelivered = new Map<number, number>();
  private readonly unconfirmed = new Map<number, Map<number, number>>();
  private readonly deliveredQueue = new Map<number, number[]>();
  private readonly expected = new Map<number, number[]>();

  markShared(clientId: number): void {
    this.shared.add(clientId);
    this.deliveredQueue.delete(clientId);
    this.expected.delete(clientId);
  }

  isShared(clientId: number): boolean {
    return this.shared.has(clientId);
  }

  /** The operator deleted the client: nothing more is expected of it. */
  forget(clientId: number): void {
    this.expected.delete(clientId);
    this.deliveredQueue.delete(clientId);
  }

  /** The application was handed (clientId, seq). */
  onDeliver(clientId: number, seq: number, now: number): Violation | null {
    let u = this.unconfirmed.get(clientId);
    const life = u?.get(seq);
    if (life !== undefined) {
      if (life === this.life) return this.v('redelivered', clientId, now, `client ${clientId}: message ${seq} handed over twice in one hub lifetime`);
      u!.set(seq, this.life);
      return null;
    }
    const max = this.maxDelivered.get(clientId) ?? 0;
    if (seq <= max) {
      return this.v('redelivered', clientId, now, `client ${clientId}: message ${seq} handed over again after the application confirmed it (or after ${max})`);
    }
    this.maxDelivered.set(clientId, seq);
    if (u === undefined) this.unconfirmed.set(clientId, (u = new Map()));
    u.set(seq, this.life);
    if (!this.shared.has(clientId)) {
      let q = this.deliveredQueue.get(clientId);
      if (q === undefined) this.deliveredQueue.set(clientId, (q = []));
      q.push(seq);
    }
    return null;
  }

  /** The application's confirmation of (clientId, seq) is durable (its input was committed). */
  onConfirmed(clientId: number, seq: number): void {
    const u = this.unconfirmed.get(clientId);
    if (u === undefined) return;
    u.delete(seq);
    if (u.size === 0) this.unconfirmed.delete(clientId);
  }

  /** A client saw its chat message `seq` acknowledged by the hub. */
  onAcked(clientId: number, seq: number, now: number): Violation | null {
    if (this.shared.has(clientId)) return null;
    const q = this.deliveredQueue.get(clientId);
    while (q !== undefined && q.length > 0 && q[0]! < seq) q.shift();
    if (q === undefined || q.length === 0 || q[0] !== seq) {
      return this.v('ackedNotDelivered', clientId, now, `client ${clientId}: message ${seq} was acknowledged but never handed to the application`);
    }
    q.shift();
    return null;
  }

  /** The application was told, at `now`, that its push `k` to the client was queued as hub message `n`. */
  onQueued(clientId: number, n: number, k: number, now: number): void {
    if (this.shared.has(clientId)) return;
    let q = this.expected.get(clientId);
    if (q === undefined) this.expected.set(clientId, (q = []));
    q.push(n, k, now);
  }

  /** A client accepted, in order, hub message `n`, an application message with `payload`. */
  onReceived(clientId: number, n: number, payload: Uint8Array, now: number): Violation | null {
    if (this.shared.has(clientId)) return null;
    const p = decodePayload(payload);
    const q = this.expected.get(clientId);
    if (p === null || p.magic !== PUSH_MAGIC || p.clientId !== clientId || q === undefined || q.length === 0 || q[0] !== n || q[1] !== p.n) {
      return this.v(
        'hubMessageMismatch',
        clientId,
        now,
        `client ${clientId}: received application message ${n} (${p === null ? 'unreadable' : `push ${p.n}`}) where the application queued ${q !== undefined && q.length > 0 ? `push ${q[1]} as ${q[0]}` : 'nothing'}`,
      );
    }
    const delay = now - q[2]!;
    if (delay > this.maxPushDelay) this.maxPushDelay = delay;
    q.splice(0, 3);
    if (q.length === 0) this.expected.delete(clientId);
    return null;
  }

  /** Longest time a push took from "queued" to its client, so far. */
  maxPushDelay = 0;

  /** Pushes not received yet, and the queue time of the oldest one whose client `isOnline`. */
  pending(isOnline: (clientId: number) => boolean): { count: number; oldestOnline: number | null } {
    let count = 0;
    let oldestOnline: number | null = null;
    for (const [clientId, q] of this.expected) {
      count += q.length / 3;
      if (q.length > 0 && isOnline(clientId) && (oldestOnline === null || q[2]! < oldestOnline)) oldestOnline = q[2]!;
    }
    return { count, oldestOnline };
  }

  /** End of run: every push not received must still be waiting, unacknowledged, in the hub's outbox. */
  endCheck(state: HubState, now: number): Violation[] {
    const out: Violation[] = [];
    for (const [clientId, q] of this.expected) {
      if (q.length === 0 || this.shared.has(clientId)) continue;
      const client = state.clients.get(clientId);
      const d = client === undefined ? null : clientDialogOf(state, client);
      if (d === null || q[0]! <= d.outAcked || !d.outbox.some((m) => m.seq === q[0])) {
        out.push(
          this.v('hubMessageLost', clientId, now, `client ${clientId}: push ${q[1]} queued as message ${q[0]} never reached the client and is no longer in the hub's outbox`),
        );
      }
    }
    return out;
  }

  private v(kind: Violation['kind'], clientId: number, now: number, message: string): Violation {
    return { kind, message, now, step: -1, clientId };
  }
}
