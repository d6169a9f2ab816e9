/**
 * Theory of operation: liveness deadlines (docs/protocol.md §7).
 *
 * Deadlines are absolute times, never decrementing counters (unlike the
 * seed's TimeToLive). Every session sits exactly once in an ordered index
 * keyed by `(indexedAt, link)`. The index is *lazy*: a message from a client
 * moves its real deadlines (`syncAt`, `deadAt`) later without touching the
 * index, so the per-message cost stays a couple of map updates. When the
 * smallest key is due, the timer step looks at that one session: it sends a
 * Sync, declares the client offline, or simply re-files the session under its
 * real, later deadline. A timer step therefore touches only the sessions whose
 * indexed deadline passed, never all online clients, and `nextDeadline` may be
 * early (a harmless spurious wake-up) but never late.
 *
 * The index is a persistent red-black tree (functional-red-black-tree), so the
 * state a step was given is never modified.
 */
import createTree from 'functional-red-black-tree';
import type { LinkId, Millis } from './ids.js';

export type DeadlineKey = readonly [at: number, link: number];

function compare(a: DeadlineKey, b: DeadlineKey): number {
  return a[0] - b[0] || a[1] - b[1];
}

/** The ordered deadline index: persistent, one entry per session. */
export type DeadlineIndex = ReturnType<typeof createTree<DeadlineKey, LinkId>>;

export function emptyDeadlines(): DeadlineIndex {
  return createTree<DeadlineKey, LinkId>(compare);
}

export function addDeadline(index: DeadlineIndex, at: Millis, link: LinkId): DeadlineIndex {
  return index.insert([at, link], link);
}

export function removeDeadline(index: DeadlineIndex, at: Millis, link: LinkId): DeadlineIndex {
  const it = index.find([at, link]);
  return it.valid ? it.remove() : index;
}

/** The earliest entry, if any. */
export function firstDeadline(index: DeadlineIndex): { at: Millis; link: LinkId } | undefined {
  const it = index.begin;
  if (!it.valid) return undefined;
  const key = it.key as DeadlineKey;
  return { at: key[0] as Millis, link: it.value as LinkId };
}
