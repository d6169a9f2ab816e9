/**
 * Liveness: deadlines are absolute times. After syncAfterMs of silence the hub
 * sends a Sync (resending the outbox), again every syncEveryMs, and after
 * deadAfterMs it declares the client offline (status unchanged, dialog kept).
 * Due deadlines are handled at the start of every step, whatever its input.
 */
import { describe, expect, test } from 'vitest';
import type { HubState } from '../../src/state.js';
import { nextDeadline } from '../../src/step.js';
import {
  T0,
  actionCmd,
  cid,
  clientOf,
  closeCmd,
  cmd,
  commit,
  dialogOf,
  expectInvariants,
  hubWith,
  linkOf,
  logCmd,
  login,
  msg,
  notifyCmd,
  offlineEvent,
  okAnswer,
  onlineEvent,
  pid,
  replyCmd,
  result,
  send,
  sessionOn,
  stepF,
  timer,
  writeCmd,
} from '../helpers.js';

const CONFIG = { appMessageTypes: ['chat'], syncAfterMs: 10_000, syncEveryMs: 5_000, deadAfterMs: 30_000 };
const sync = (seq: number, ack = 0) => msg(seq, ack, { type: 'sync' });
const online = (): HubState => hubWith({ clients: [{ id: 10, profileId: 1, link: 1 }], config: CONFIG });

describe('nextDeadline', () => {
  test('is undefined with no sessions', () => {
    expect(nextDeadline(hubWith({ clients: [{ id: 10, profileId: 1 }], config: CONFIG }))).toBeUndefined();
  });

  test('is the first Sync after a login', () => {
    expect(nextDeadline(online())).toBe(T0 + 10_000);
  });

  test('is always after now once a step is done', () => {
    let s = online();
    const times = [T0 + 1, T0 + 9_999, T0 + 10_000, T0 + 12_000, T0 + 15_000, T0 + 22_000, T0 + 26_000, T0 + 41_999, T0 + 42_000, T0 + 50_000];
    for (const t of times) {
      s = (t === T0 + 12_000 ? send(s, 1, [msg(1, 1, { type: 'null', replyTo: 1 })], t) : timer(s, t)).state;
      const d = nextDeadline(s);
      if (d !== undefined) expect(d).toBeGreaterThan(s.now);
      expectInvariants(s);
    }
    expect(nextDeadline(s)).toBeUndefined(); // it died at T0 + 42 000
  });
});

describe('Sync and offline', () => {
  test('an early (spurious) wake-up does nothing', () => {
    const s = online();
    const r = timer(s, T0 + 9_999);
    expect(r).toEqual(result([]));
    expect(sessionOn(r.state, 1)).toEqual(sessionOn(s, 1));
  });

  test('a Sync after syncAfterMs of silence, resending the outbox first', () => {
    let s = online();
    s = stepF(s, { type: 'appMessageSent', actionId: 'a', to: { clientId: cid(10) }, appType: 'chat', payload: new Uint8Array([5]), replyTo: 0 }).state;
    const r = timer(s, T0 + 10_000);
    expect(r).toEqual(
      result([commit, writeCmd(cmd(s, 0), 1, 10, [msg(1, 0, { type: 'app', appType: 'chat', payload: new Uint8Array([5]), replyTo: 0 }), sync(2)])]),
    );
    expect(sessionOn(r.state, 1)).toMatchObject({ syncAt: T0 + 15_000, deadAt: T0 + 30_000, indexedAt: T0 + 15_000 });
    expect(dialogOf(r.state, 10)).toMatchObject({ outSeq: 2, messagesOut: 2 });
    expect(nextDeadline(r.state)).toBe(T0 + 15_000);
    expectInvariants(r.state);
  });

  test('repeated every syncEveryMs, then offline at deadAfterMs with heartbeatTimeout; status and dialog kept', () => {
    let s = online();
    const expected: number[][] = [[1], [1, 2], [1, 2, 3], [1, 2, 3, 4]];
    for (const [i, seqs] of expected.entries()) {
      const t = T0 + 10_000 + i * 5_000;
      const r = timer(s, t);
      expect(r).toEqual(result([commit, writeCmd(cmd(s, 0), 1, 10, seqs.map((q) => sync(q)))]));
      s = r.state;
    }
    expect(nextDeadline(s)).toBe(T0 + 30_000); // min(next Sync, death)

    const r = timer(s, T0 + 30_000);
    expect(r).toEqual(
      result([
        commit,
        logCmd('info', 'heartbeatTimeout', 10, { link: 1, silentMs: 30_000 }),
        closeCmd(cmd(s, 0), 1, 10, 'heartbeatTimeout', false),
        offlineEvent(10, 1, 'heartbeatTimeout'),
      ]),
    );
    expect(clientOf(r.state, 10).status).toBe('enabled');
    expect(linkOf(r.state, 10)).toBeUndefined();
    expect(dialogOf(r.state, 10)).toMatchObject({ outSeq: 4, outAcked: 0 });
    expect(nextDeadline(r.state)).toBeUndefined();
    expectInvariants(r.state);

    // A later login gets the unacknowledged messages resent.
    const l = login(r.state, { link: 2, clientId: 10, lastReceived: 2 }, T0 + 60_000);
    expect(l).toEqual(
      result([commit, replyCmd(cmd(r.state, 0), 2, 7, okAnswer(10, { lastSent: 4 })), writeCmd(cmd(r.state, 1), 2, 10, [sync(3), sync(4)]), onlineEvent(10, 2, 'login')]),
    );
    expectInvariants(l.state);
  });

  test('a very late timer declares the client offline without sending a Sync first', () => {
    const s = online();
    const r = timer(s, T0 + 100_000);
    expect(r).toEqual(
      result([
        commit,
        logCmd('info', 'heartbeatTimeout', 10, { link: 1, silentMs: 100_000 }),
        closeCmd(cmd(s, 0), 1, 10, 'heartbeatTimeout', false),
        offlineEvent(10, 1, 'heartbeatTimeout'),
      ]),
    );
  });

  test('the outbox bound also holds for Syncs: a full outbox resends without a new Sync, and logs', () => {
    let s = hubWith({ clients: [{ id: 10, profileId: 1, link: 1 }], config: { ...CONFIG, maxOutbox: 1 } });
    s = timer(s, T0 + 10_000).state;
    const r = timer(s, T0 + 15_000);
    expect(r).toEqual(result([commit, logCmd('warn', 'outboxFull', 10, { outbox: 1, dropped: 'sync' }), writeCmd(cmd(s, 0), 1, 10, [sync(1)])]));
    expect(dialogOf(r.state, 10).outSeq).toBe(1);
    expectInvariants(r.state);
  });
});

describe('activity and the lazy index', () => {
  test('activity pushes the deadlines later; the early wake-up re-files without sending anything', () => {
    let s = online();
    s = send(s, 1, [msg(1, 0, { type: 'null', replyTo: 0 })], T0 + 5_000).state;
    expect(sessionOn(s, 1)).toMatchObject({ syncAt: T0 + 15_000, deadAt: T0 + 35_000, indexedAt: T0 + 10_000 });
    expect(nextDeadline(s)).toBe(T0 + 10_000); // early, never late

    const r = timer(s, T0 + 10_000);
    expect(r).toEqual(result([commit])); // the state changed (re-filed); nothing is sent
    expect(sessionOn(r.state, 1)).toMatchObject({ syncAt: T0 + 15_000, indexedAt: T0 + 15_000 });
    expect(nextDeadline(r.state)).toBe(T0 + 15_000);
    expectInvariants(r.state);

    const t = timer(r.state, T0 + 15_000);
    expect(t).toEqual(result([commit, writeCmd(cmd(r.state, 0), 1, 10, [sync(1, 1)])]));
    expectInvariants(t.state);
  });

  test('the answer to a Sync acknowledges it and restarts the silence clock', () => {
    let s = online();
    s = timer(s, T0 + 10_000).state;
    const r = send(s, 1, [msg(1, 1, { type: 'null', replyTo: 1 })], T0 + 12_000);
    // No bare ack for a Null: the next Sync acknowledges it (below, ack 1).
    expect(r).toEqual(result([commit]));
    expect(dialogOf(r.state, 10)).toMatchObject({ outAcked: 1, outbox: [] });
    expect(sessionOn(r.state, 1)).toMatchObject({ syncAt: T0 + 22_000, deadAt: T0 + 42_000 });
    // The 15 000 wake-up only re-files; the next Sync is at 22 000 and carries nothing old.
    const w = timer(r.state, T0 + 15_000);
    expect(w).toEqual(result([commit]));
    const t = timer(w.state, T0 + 22_000);
    expect(t).toEqual(result([commit, writeCmd(cmd(w.state, 0), 1, 10, [sync(2, 1)])]));
  });
});

describe('deadlines run at the start of any step', () => {
  test('an operator action at the Sync time: the Sync goes out first, then the action', () => {
    const s = online();
    const r = stepF(s, { type: 'profileRenamed', actionId: 'r', profileId: pid(1), name: 'New' }, T0 + 10_000);
    expect(r).toEqual(
      result([
        commit,
        writeCmd(cmd(s, 0), 1, 10, [sync(1)]),
        notifyCmd({ type: 'profileChanged', profileId: 1, change: 'renamed', mode: 'auto', policy: null }),
        actionCmd('r', true, null),
      ]),
    );
  });

  test('messages arriving at the death time find their link closed in the same step: dropped, no second close', () => {
    // A second close with a reconnectable reason would contradict the terminal heartbeatTimeout.
    const s = online();
    const r = send(s, 1, [msg(1, 0, { type: 'null', replyTo: 0 })], T0 + 30_000);
    expect(r).toEqual(
      result([
        commit,
        logCmd('info', 'heartbeatTimeout', 10, { link: 1, silentMs: 30_000 }),
        closeCmd(cmd(s, 0), 1, 10, 'heartbeatTimeout', false),
        offlineEvent(10, 1, 'heartbeatTimeout'),
        logCmd('info', 'messagesOnClosedLink', null, { link: 1, count: 1 }),
      ]),
    );
    expectInvariants(r.state);
  });

  test('several sessions due in one step are handled in (deadline, link) order', () => {
    let s = hubWith({ profiles: [{ id: 1 }, { id: 2 }, { id: 3 }], clients: [{ id: 10, profileId: 1 }, { id: 20, profileId: 2 }, { id: 30, profileId: 3 }], config: CONFIG });
    s = login(s, { link: 3, clientId: 10 }, T0).state;
    s = login(s, { link: 1, clientId: 20 }, T0).state;
    s = login(s, { link: 2, clientId: 30 }, T0).state;
    s = login(s, { link: 2, clientId: 30 }, T0 + 1).state; // re-login moves 30's deadlines 1 ms later
    const r = timer(s, T0 + 20_000);
    expect(r).toEqual(
      result([
        commit,
        // links 1 and 3 were due at 10 000 (link order), link 2 at 10 001; a late timer sends one Sync each,
        // and the next ones are counted from now.
        writeCmd(cmd(s, 0), 1, 20, [sync(1)]),
        writeCmd(cmd(s, 1), 3, 10, [sync(1)]),
        writeCmd(cmd(s, 2), 2, 30, [sync(1)]),
      ]),
    );
    expect(nextDeadline(r.state)).toBe(T0 + 25_000);
    expectInvariants(r.state);
  });
});

describe('sessions due in the same millisecond', () => {
  // Links 3, 5 and 7 open at T0 (Sync due at T0 + 10 000); link 1 opens at T0 + 0.5 (due at T0 + 10 000.5),
  // so one millisecond of the deadline index holds whole and fractional deadlines.
  const mixed = (): HubState => {
    const s = hubWith({
      profiles: [{ id: 1 }, { id: 2 }, { id: 3 }, { id: 4 }],
      clients: [
        { id: 10, profileId: 1, link: 7 },
        { id: 11, profileId: 2, link: 3 },
        { id: 12, profileId: 3, link: 5 },
        { id: 13, profileId: 4 },
      ],
      config: CONFIG,
    });
    return login(s, { link: 1, clientId: 13, requestId: 1 }, T0 + 0.5).state;
  };
  const syncedLinks = (s: HubState, now: number): number[] =>
    timer(s, now)
      .commands.filter((c) => c.type === 'writeDialog')
      .map((c) => (c as { link: number }).link);

  test('are handled in (deadline, link) order, and a fractional deadline only once it has passed', () => {
    const s = mixed();
    expect(nextDeadline(s)).toBe(T0 + 10_000);
    expect(syncedLinks(s, T0 + 10_000)).toEqual([3, 5, 7]);
    expect(syncedLinks(s, T0 + 10_000.25)).toEqual([3, 5, 7]);
    expect(syncedLinks(s, T0 + 10_000.5)).toEqual([3, 5, 7, 1]);
    expect(syncedLinks(s, T0 + 10_001)).toEqual([3, 5, 7, 1]);
    // Late by more than a Sync interval: each session is handled once per step, in deadline order.
    expect(syncedLinks(s, T0 + 16_000)).toEqual([3, 5, 7, 1]);
  });

  test('a whole millisecond handled at once leaves the later ones in the index', () => {
    const s = timer(mixed(), T0 + 10_000).state;
    expect(nextDeadline(s)).toBe(T0 + 10_000.5);
    expect(syncedLinks(s, T0 + 10_001)).toEqual([1]);
  });
});
