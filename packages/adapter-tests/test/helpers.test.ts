/**
 * The suite's building blocks, tested alone: the receive queue adapters use
 * for `TestPeer.receive`, the watch lists every wait goes through, the store
 * whose commits can be held, and the recording transport.
 */
import { clientId, linkId, type CommandId } from '@dialoghub/core';
import type { HubTransport, JournalRecord, TransportCommand, TransportEvent } from '@dialoghub/runtime';
import { describe, expect, test } from 'vitest';
import { GatedStore, PeerInbox, RecordingTransport, WatchList } from '../src/index.js';

const close = { kind: 'close', reason: 'kicked', reconnect: false } as const;
const answer = { kind: 'answer', requestId: 1, answer: { code: 'reset', clientId: clientId(1) } } as const;

describe('PeerInbox', () => {
  test('hands out frames in order, waits for the next one, then `ended` for ever', async () => {
    const inbox = new PeerInbox();
    inbox.push(answer);
    const later = inbox.next().then(() => inbox.next());
    inbox.push(close);
    inbox.end();
    inbox.push(answer);
    inbox.end();
    expect(await later).toEqual(close);
    expect(await inbox.next()).toEqual({ kind: 'ended' });
    expect(await inbox.next()).toEqual({ kind: 'ended' });
    expect(inbox.queued).toEqual([]);
  });
});

describe('WatchList', () => {
  test('resolves a wait at once when it already holds, otherwise on the push that makes it hold', async () => {
    const list = new WatchList<number>();
    list.push(1);
    expect(await list.first((n) => n === 1)).toBe(1);
    const three = list.count((n) => n > 1, 2);
    let done = false;
    void three.then(() => (done = true));
    list.push(2);
    await Promise.resolve();
    expect(done).toBe(false);
    list.push(3);
    expect(await three).toEqual([2, 3]);
  });
});

describe('GatedStore', () => {
  test('holds appends until released, and tells when an append starts', async () => {
    const store = new GatedStore();
    const record: JournalRecord = { seq: 1, now: 0, input: { type: 'timerFired' } };
    store.hold();
    const started = store.nextAppend();
    let appended = false;
    const appending = store.append([record]).then(() => (appended = true));
    await started;
    await Promise.resolve();
    expect(appended).toBe(false);
    store.release();
    await appending;
    expect((await store.recover()).records).toEqual([record]);
  });
});

describe('RecordingTransport', () => {
  const cmd: TransportCommand = { type: 'writeDialog', commandId: 1 as CommandId, link: linkId(3), clientId: clientId(1), messages: [] };

  test('records facts before the hub sees them, and how each command settled', async () => {
    let sink: ((e: TransportEvent) => void) | undefined;
    const inner: HubTransport = {
      start: async (s) => {
        sink = s;
      },
      execute: async (c) => {
        if (c.link === 3) throw new Error('gone');
      },
      stop: async () => {},
    };
    const rec = new RecordingTransport(inner);
    const seen: number[] = [];
    await rec.start(() => seen.push(rec.record.items.length));
    sink!({ type: 'connectionClosed', link: linkId(3), cause: 'x' });
    expect(seen).toEqual([1]);
    await expect(rec.execute(cmd)).rejects.toThrow('gone');
    expect(await rec.settled((c) => c.link === 3)).toEqual({ command: cmd, ok: false, error: 'gone' });
    await rec.stop();
    expect(rec.record.items.map((e) => e.kind)).toEqual(['fact', 'execute', 'settled', 'stop', 'stopped']);
  });

  test('turns an execute that throws into a rejection, and records it', async () => {
    const inner: HubTransport = {
      start: async () => {},
      execute: () => {
        throw new Error('sync');
      },
      stop: async () => {},
    };
    const rec = new RecordingTransport(inner);
    await expect(rec.execute(cmd)).rejects.toThrow('sync');
    expect(rec.record.items[1]).toEqual({ kind: 'threw', call: 1, error: 'Error: sync' });
  });
});
