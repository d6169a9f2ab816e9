/**
 * One test per seed bug of hub-protocol.md §15 that concerns the core. Each
 * asserts the fixed behaviour and would fail on the seed's (the comment on each
 * says what the seed did). B12, B13, B15, B19, B20 and B21 concern the client
 * program or the FTP files and are tested where those live; B27 lists minor
 * defects of code the core does not have.
 */
import { describe, expect, test } from 'vitest';
import type { HubInput } from '../../src/inputs.js';
import type { DialogMessage } from '../../src/messages.js';
import { deserialize, serialize } from '../../src/snapshot.js';
import type { HubState } from '../../src/state.js';
import { nextDeadline, step } from '../../src/step.js';
import {
  T0,
  actionCmd,
  cid,
  clientOf,
  closeCmd,
  closed,
  cmd,
  commit,
  dialogOf,
  expectInvariants,
  hubWith,
  linkOf,
  lnk,
  logCmd,
  login,
  msg,
  offlineEvent,
  okAnswer,
  onlineEvent,
  pid,
  profileOf,
  register,
  rejectedAnswer,
  rejectedEvent,
  replyCmd,
  result,
  send,
  setMode,
  setStatus,
  statusEvent,
  stepF,
  takeoverEvent,
  timer,
  writeCmd,
} from '../helpers.js';

const nul = (seq: number, ack = 0): DialogMessage => msg(seq, ack, { type: 'null', replyTo: 0 });
const NEW_CONTACT = { name: 'Bob', phone: '2', email: 'bob@example.org' };
const CHAT = { appMessageTypes: ['chat'] };

describe('B1: SetInfo answer id comes from the wrong counter', () => {
  test("B1: the SetInfo ok takes the hub's next seq and the client's next message is not skipped", () => {
    // Seed: the Ok's id was ++LastClientMessageID, so the client's next message (same id) was skipped.
    let s = hubWith({ clients: [{ id: 10, profileId: 1, link: 1 }], config: CHAT });
    s = timer(s, T0 + 10_000).state; // hub→client seq 1 is a Sync
    const r = send(s, 1, [msg(1, 1, { type: 'setInfo', contact: NEW_CONTACT })]);
    expect(r).toEqual(result([commit, writeCmd(cmd(s, 0), 1, 10, [msg(2, 1, { type: 'ok', replyTo: 1 })])]));
    expect(dialogOf(r.state, 10)).toMatchObject({ inSeq: 1, outSeq: 2 });
    const next = send(r.state, 1, [msg(2, 2, { type: 'log', at: 0, isError: false, text: 'after setInfo' })]);
    expect(next.commands).toContainEqual(logCmd('info', 'clientLog', 10, { text: 'after setInfo', clientTime: 0, seq: 2 }));
    expect(dialogOf(next.state, 10).inSeq).toBe(2);
    expectInvariants(next.state);
  });
});

describe('B2: SetInfo resets the registration date', () => {
  test('B2: SetInfo changes only the contact; registration time and seniority stay', () => {
    // Seed: SetInfo replaced the row with CreationTime = now, so "older wins" became "least recently edited wins".
    let s = hubWith({ policy: 'seniority', clients: [{ id: 10, profileId: 1, status: 'enabled', link: 1 }, { id: 11, profileId: 1, status: 'disabled' }] });
    const before = clientOf(s, 10);
    s = send(s, 1, [msg(1, 0, { type: 'setInfo', contact: NEW_CONTACT })], T0 + 5_000).state;
    expect(clientOf(s, 10)).toEqual({ ...before, contact: NEW_CONTACT });
    // 10 is still the older registration: 11's resume loses.
    const r = login(s, { link: 2, clientId: 11, kind: 'resume' });
    expect(r.commands).toContainEqual(replyCmd(cmd(s, 0), 2, 7, rejectedAnswer(11, 'seniority')));
    expect(clientOf(r.state, 10).status).toBe('enabled');
    expectInvariants(r.state);
  });
});

describe('B3: SetInfo trusts the payload', () => {
  test('B3: a SetInfo naming another client or profile is refused and moves nothing', () => {
    // Seed: the row took the payload's ClientID and ProfileID, so a client could move itself to another profile.
    const s = hubWith({ profiles: [{ id: 1 }, { id: 2 }], clients: [{ id: 10, profileId: 1, link: 1 }] });
    const r = send(s, 1, [msg(1, 0, { type: 'setInfo', contact: NEW_CONTACT, clientId: 10, profileId: 2 })]);
    expect(r.commands).toContainEqual(writeCmd(cmd(s, 0), 1, 10, [msg(1, 1, { type: 'refused', replyTo: 1, reason: 'idMismatch' })]));
    expect(clientOf(r.state, 10)).toMatchObject({ id: 10, profileId: 1 });
    expect(profileOf(r.state, 1)).toMatchObject({ clientCount: 1, enabledClient: 10 });
    expect(profileOf(r.state, 2)).toMatchObject({ clientCount: 0, enabledClient: null });
    expectInvariants(r.state);
  });
});

describe('B4: double add to the online queue', () => {
  test('B4: a client restarting before its session died gets one session, and its next message is handled', () => {
    // Seed: the stale entry survived with LastClientMessageID = 57, so the restarted client's messages were ignored.
    let s = hubWith({ clients: [{ id: 10, profileId: 1, link: 1 }] });
    s = send(s, 1, [nul(1), nul(2), nul(3)]).state;
    // The same request repeated on the same link (a lost answer): the session is reused, not duplicated.
    const again = login(s, { link: 1, clientId: 10, kind: 'start', requestId: 8 });
    expect(again).toEqual(result([commit, replyCmd(cmd(s, 0), 1, 8, okAnswer(10, { lastReceived: 3 }))]));
    expect(again.state.sessions.size).toBe(1);
    // A restart on a new link (replaceOld, the default): the old session is pushed out, one session remains.
    const restart = login(again.state, { link: 2, clientId: 10, kind: 'start', requestId: 9 });
    expect(restart.commands).toContainEqual(replyCmd(cmd(again.state, 1), 2, 9, okAnswer(10, { lastReceived: 3 })));
    expect(restart.state.sessions.size).toBe(1);
    expect(linkOf(restart.state, 10)).toBe(2);
    // The answer told the client where to continue; that message is handled.
    const r = send(restart.state, 2, [msg(4, 0, { type: 'log', at: 1, isError: false, text: 'restarted' })]);
    expect(r.commands).toContainEqual(logCmd('info', 'clientLog', 10, { text: 'restarted', clientTime: 1, seq: 4 }));
    expectInvariants(r.state);
  });
});

describe('B5: message counters are wrong', () => {
  test('B5: counters count messages (gaps, duplicates and resends excluded; Syncs and answers included)', () => {
    // Seed: counters added id deltas (gaps, the B1 bump) and missed every Sync and handler answer.
    let s = hubWith({ clients: [{ id: 10, profileId: 1, link: 1 }] });
    s = timer(s, T0 + 10_000).state; // Sync 1
    s = send(s, 1, [nul(1), msg(2, 0, { type: 'setInfo', contact: NEW_CONTACT }), nul(5), nul(2)], T0 + 11_000).state; // 5 is a gap, 2 a duplicate
    s = timer(s, T0 + 21_000).state; // Sync 3 (and resend of 1, 2: not counted again)
    expect(dialogOf(s, 10)).toMatchObject({ inSeq: 2, messagesIn: 2, outSeq: 3, messagesOut: 3 });
  });
});

describe('B6: the Sync "known but offline" branch rewrites a fresh dialog', () => {
  test("B6: a sync re-admits with the hub's own counters, resends what is unacknowledged, and announces the client", () => {
    // Seed: it rewrote .gov with only a Null (dropping a pending Ok), took the client's counters, raised no event.
    let s = hubWith({ clients: [{ id: 10, profileId: 1, link: 1 }] });
    s = send(s, 1, [msg(1, 0, { type: 'setInfo', contact: NEW_CONTACT }), nul(2)]).state; // Ok 1 pending
    s = closed(s, 1).state;
    const r = login(s, { link: 2, clientId: 10, kind: 'sync', requestId: 3, lastReceived: 0 });
    expect(r).toEqual(
      result([
        commit,
        replyCmd(cmd(s, 0), 2, 3, okAnswer(10, { lastReceived: 2, lastSent: 1 })),
        writeCmd(cmd(s, 1), 2, 10, [msg(1, 2, { type: 'ok', replyTo: 1 })]),
        onlineEvent(10, 2, 'sync'),
      ]),
    );
    expectInvariants(r.state);
  });

  test('B6: a sync from a disabled or banned client is refused, never given a Null', () => {
    // Seed: it wrote a Null even for Disabled or Banned clients.
    for (const status of ['disabled', 'banned'] as const) {
      const s = hubWith({ clients: [{ id: 10, profileId: 1, status }] });
      const r = login(s, { link: 1, clientId: 10, kind: 'sync' });
      expect(r.commands).toContainEqual(replyCmd(cmd(s, 0), 1, 7, rejectedAnswer(10, status)));
      expect(r.commands.filter((c) => c.type === 'writeDialog')).toEqual([]);
      expect(r.state.sessions.size).toBe(0);
    }
  });
});

describe('B7: LastClientMessageID is advanced before processing', () => {
  test('B7: inSeq advances per handled message; a bad message mid-batch keeps the earlier answers and lets the client resend the rest', () => {
    // Seed: the id was set to max(batch) first, so an exception lost the rest of the batch and the answers computed.
    let s = hubWith({ clients: [{ id: 10, profileId: 1, link: 1 }] });
    const bad = { seq: 2, ack: 0, body: { type: 'bogus' } } as unknown as DialogMessage;
    const r = send(s, 1, [msg(1, 0, { type: 'setInfo', contact: NEW_CONTACT }), bad, msg(3, 0, { type: 'log', at: 0, isError: false, text: 'three' })]);
    expect(r).toEqual(
      result([commit, logCmd('warn', 'malformedMessage', 10, { problem: 'body type', seq: 2 }), writeCmd(cmd(s, 0), 1, 10, [msg(1, 1, { type: 'ok', replyTo: 1 })])]),
    );
    expect(dialogOf(r.state, 10).inSeq).toBe(1);
    s = r.state;
    const resent = send(s, 1, [nul(2, 1), msg(3, 1, { type: 'log', at: 0, isError: false, text: 'three' })]);
    expect(resent.commands).toContainEqual(logCmd('info', 'clientLog', 10, { text: 'three', clientTime: 0, seq: 3 }));
    expect(dialogOf(resent.state, 10).inSeq).toBe(3);
    expectInvariants(resent.state);
  });
});

describe('B8: an unknown cnx code crashes the whole batch', () => {
  test('B8: an unknown request kind is logged and closed, never thrown, and the next request is handled', () => {
    // Seed: the dictionary indexer threw on an unknown code and, with B7, lost the whole batch.
    const s = hubWith({ clients: [{ id: 10, profileId: 1 }] });
    const unknown: HubInput = { type: 'requestReceived', link: lnk(1), request: { kind: 'close', requestId: 1, clientId: cid(10) } as never };
    const r = stepF(s, unknown);
    expect(r).toEqual(result([commit, logCmd('warn', 'malformedRequest', null, { link: 1, problem: 'kind' }), closeCmd(cmd(s, 0), 1, null, 'refused', false)]));
    const next = login(r.state, { link: 2, clientId: 10 });
    expect(next.commands).toContainEqual(replyCmd(cmd(r.state, 0), 2, 7, okAnswer(10)));
  });
});

describe('B9: Resume dereferences null', () => {
  test('B9: a profile with clients cannot be removed, so a resume always finds its profile', () => {
    // Seed: Resume dereferenced the deleted profile (null) and crashed.
    let s = hubWith({ clients: [{ id: 10, profileId: 1, status: 'disabled' }] });
    const rm = stepF(s, { type: 'profileRemoved', actionId: 'rm', profileId: pid(1) });
    expect(rm).toEqual({ state: s, commands: [actionCmd('rm', false, 'profileNotEmpty')] });
    s = rm.state;
    const r = login(s, { link: 1, clientId: 10, kind: 'resume' });
    expect(r.commands).toContainEqual(replyCmd(cmd(s, 0), 1, 7, okAnswer(10)));
    expectInvariants(r.state);
  });
});

describe('B10: Resume when the requester is already the enabled client', () => {
  test('B10: a resume from the enabled client is answered ok (idempotent)', () => {
    // Seed: equal CreationTime made the seniority test reject the enabled client itself; it idled forever.
    for (const policy of ['replaceOld', 'ignoreNew', 'seniority'] as const) {
      const s = hubWith({ policy, clients: [{ id: 10, profileId: 1 }] });
      const r = login(s, { link: 1, clientId: 10, kind: 'resume', requestId: 4 });
      expect(r).toEqual(result([commit, replyCmd(cmd(s, 0), 1, 4, okAnswer(10)), onlineEvent(10, 1, 'resume')]));
    }
  });
});

describe('B11: Resume never checks the requester status', () => {
  test('B11: resume from a banned client is refused (banned), from a reset one answered reset', () => {
    // Seed: any client that sent Resume was re-enabled, banned and reset ones included.
    const s = hubWith({ clients: [{ id: 10, profileId: 1, status: 'banned' }, { id: 11, profileId: 1, status: 'reset' }] });
    const b = login(s, { link: 1, clientId: 10, kind: 'resume' });
    expect(b).toEqual(
      result([commit, replyCmd(cmd(s, 0), 1, 7, rejectedAnswer(10, 'banned')), rejectedEvent(10, 'resume', 'banned'), closeCmd(cmd(s, 1), 1, 10, 'banned', false)]),
    );
    const r = login(s, { link: 2, clientId: 11, kind: 'resume' });
    expect(r).toEqual(
      result([commit, replyCmd(cmd(s, 0), 2, 7, { code: 'reset', clientId: 11 }), rejectedEvent(11, 'resume', 'reset'), closeCmd(cmd(s, 1), 2, 11, 'reset', false)]),
    );
    expect(clientOf(b.state, 10).status).toBe('banned');
    expect(clientOf(r.state, 11).status).toBe('reset');
  });
});

describe('B14: the answer is not matched on the client id', () => {
  test('B14: every answer names the requesting client and goes to its link, even with equal request ids', () => {
    // Seed: ResumeHandler matched only on ReqID, so a client could act on another client's answer.
    const s = hubWith({ profiles: [{ id: 1 }, { id: 2 }], clients: [{ id: 10, profileId: 1 }, { id: 20, profileId: 2, status: 'banned' }] });
    const a = login(s, { link: 1, clientId: 10, kind: 'resume', requestId: 5 });
    const b = login(a.state, { link: 2, clientId: 20, kind: 'resume', requestId: 5 });
    expect(a.commands).toContainEqual(replyCmd(cmd(s, 0), 1, 5, okAnswer(10)));
    expect(b.commands).toContainEqual(replyCmd(cmd(a.state, 0), 2, 5, rejectedAnswer(20, 'banned')));
  });
});

describe('B16: races on the shared request file', () => {
  test('B16: request ids are per client: equal or lower ids from other clients are all answered', () => {
    // Seed: one shared request counter; the "ID > last processed" filter dropped a second request with the same id.
    let s = hubWith({ profiles: [{ id: 1 }, { id: 2 }, { id: 3 }] });
    const a = register(s, { link: 1, clientId: 10, profileId: 1, requestId: 5 });
    const b = register(a.state, { link: 2, clientId: 20, profileId: 2, requestId: 5 });
    const c = register(b.state, { link: 3, clientId: 30, profileId: 3, requestId: 2 });
    for (const [r, link, id, req] of [[a, 1, 10, 5], [b, 2, 20, 5], [c, 3, 30, 2]] as const) {
      expect(r.commands).toContainEqual(expect.objectContaining({ type: 'reply', link, requestId: req, answer: expect.objectContaining({ code: 'ok', clientId: id }) }));
    }
    s = c.state;
    expect(s.clients.size).toBe(3);
    expectInvariants(s);
  });
});

describe('B17: a governor restart resets all counters', () => {
  function busy(): HubState {
    let s = hubWith({ clients: [{ id: 10, profileId: 1, link: 1 }] });
    s = send(s, 1, [nul(1), msg(2, 0, { type: 'setInfo', contact: NEW_CONTACT })]).state; // in 2, out 1
    return s;
  }

  test('B17: sequence numbers are never reset while the client exists (offline and back)', () => {
    // Seed: a restart set the counters back to 0, so old ids were reused and stale answers matched new requests.
    let s = closed(busy(), 1).state;
    const r = login(s, { link: 2, clientId: 10, lastReceived: 1, requestId: 1 });
    expect(r.commands).toContainEqual(replyCmd(cmd(s, 0), 2, 1, okAnswer(10, { lastReceived: 2, lastSent: 1 })));
    s = r.state;
    const next = send(s, 2, [msg(3, 1, { type: 'setInfo', contact: NEW_CONTACT })]);
    expect(next.commands).toContainEqual(writeCmd(cmd(s, 0), 2, 10, [msg(2, 3, { type: 'ok', replyTo: 3 })]));
  });

  test('B17: after a snapshot and restore, every counter continues (sequence numbers, command ids, registration order)', () => {
    // Seed: m_lastCnxRespMsgID and m_lastCxnReqMsgID restarted at 0 and the cnx files were emptied.
    const s = busy();
    const restored = deserialize(serialize(s));
    expect(restored.ok).toBe(true);
    if (!restored.ok) return;
    const h = restored.value;
    expect(h.nextCommandId).toBe(s.nextCommandId);
    expect(h.regSeq).toBe(s.regSeq);
    expect(dialogOf(h, 10)).toEqual(dialogOf(s, 10));
    // The restarted hub lost its links: the transport reports them closed, the client logs in again.
    let t = closed(h, 1).state;
    const r = login(t, { link: 2, clientId: 10, requestId: 1 });
    expect(r.commands).toContainEqual(replyCmd(cmd(t, 0), 2, 1, okAnswer(10, { lastReceived: 2, lastSent: 1 })));
    t = r.state;
    const next = send(t, 2, [msg(3, 1, { type: 'setInfo', contact: NEW_CONTACT })]);
    expect(next.commands).toContainEqual(writeCmd(cmd(t, 0), 2, 10, [msg(2, 3, { type: 'ok', replyTo: 3 })]));
    // A new registration is junior to every earlier one.
    const reg = register(next.state, { link: 3, clientId: 11, profileId: 1 });
    expect(clientOf(reg.state, 11).regSeq).toBe(s.regSeq + 1);
    // And the restored state behaves exactly as the original.
    const input: HubInput = { type: 'connectionClosed', link: lnk(1), cause: 'restart' };
    expect(step(h, input, T0 + 1)).toEqual(step(s, input, T0 + 1));
  });
});

describe('B18: other races in the governor', () => {
  test('B18: interleaved operator and request inputs keep one enabled client per profile, and late messages never revert an operator change', () => {
    // Seed: ProcessDialog wrote back the status row it read at the start of its tick, reverting the operator's change.
    let s = hubWith({ clients: [{ id: 11, profileId: 1 }, { id: 10, profileId: 1, link: 1 }] });
    const check = (st: HubState): HubState => {
      expectInvariants(st);
      const enabled = [...st.clients.values()].filter((c) => c.profileId === 1 && c.status === 'enabled');
      expect(enabled.length).toBeLessThanOrEqual(1);
      return st;
    };
    // The operator enables 11: 10 is disabled, told so, closed.
    const op = setStatus(s, 11, 'enabled');
    expect(op.commands).toContainEqual(closeCmd(cmd(s, 0), 1, 10, 'disabled', false));
    s = check(op.state);
    // 10's late messages on its old link: not logged in; its status stays disabled.
    const late = send(s, 1, [nul(1)]);
    expect(late.commands).toContainEqual(closeCmd(cmd(s, 0), 1, null, 'notLoggedIn', true));
    s = check(late.state);
    expect(clientOf(s, 10).status).toBe('disabled');
    // 10 asks to resume: the profile is now manual, so no automatic change.
    const res = login(s, { link: 2, clientId: 10, kind: 'resume' });
    expect(res.commands).toContainEqual(replyCmd(cmd(s, 0), 2, 7, rejectedAnswer(10, 'profileManual')));
    s = check(res.state);
    // 11 logs in; the operator sets auto again; 10 resumes and replaces 11 (replaceOld).
    s = check(login(s, { link: 3, clientId: 11 }).state);
    s = check(setMode(s, 1, 'auto').state);
    const again = login(s, { link: 2, clientId: 10, kind: 'resume' });
    expect(again.commands).toContainEqual(closeCmd(cmd(s, 0), 3, 11, 'replaced', false));
    s = check(again.state);
    // The operator bans 10 in the same instant: told banned, closed; nobody is enabled.
    const ban = setStatus(s, 10, 'banned');
    expect(ban.commands).toContainEqual(closeCmd(cmd(s, 0), 2, 10, 'banned', false));
    s = check(ban.state);
    expect(profileOf(s, 1).enabledClient).toBeNull();
  });
});

describe('B22: status and liveness side effects', () => {
  test.each(['banned', 'disabled'] as const)('B22: a %s client is taken offline at once (told why) and gets no more Syncs', (status) => {
    // Seed: banned and disabled clients stayed in the online queue and kept getting Syncs until TTL death.
    const s = hubWith({ clients: [{ id: 10, profileId: 1, link: 1 }] });
    const r = setStatus(s, 10, status);
    expect(r.commands).toContainEqual(closeCmd(cmd(s, 0), 1, 10, status, false));
    expect(r.commands).toContainEqual(offlineEvent(10, 1, status));
    expect(linkOf(r.state, 10)).toBeUndefined();
    expect(nextDeadline(r.state)).toBeUndefined();
    expect(timer(r.state, T0 + 10_000).commands).toEqual([]);
    expectInvariants(r.state);
  });
});

describe('B23: Start from an unknown id answers Rejected', () => {
  test('B23: start from an unknown id is answered reset (re-register now), not rejected', () => {
    // Seed: "Rejected", so the client showed "retry later" and only found out it was reset at its next launch.
    const s = hubWith();
    const r = login(s, { link: 1, clientId: 10, kind: 'start', requestId: 2 });
    expect(r).toEqual(
      result([commit, replyCmd(cmd(s, 0), 1, 2, { code: 'reset', clientId: 10 }), rejectedEvent(10, 'start', 'reset'), closeCmd(cmd(s, 1), 1, 10, 'reset', false)]),
    );
  });
});

describe('B24: seniority and clock issues', () => {
  test('B24: seniority uses the registration sequence, not time: registered at the same now, the older still wins', () => {
    // Seed: equal CreationTime (local clock) made `cur.CreationTime <= requester.CreationTime` reject the older one.
    let s = hubWith({ policy: 'seniority' });
    s = closed(register(s, { link: 1, clientId: 10, profileId: 1 }, T0).state, 1, T0).state;
    s = register(s, { link: 2, clientId: 11, profileId: 1 }, T0).state; // 10 offline → disabled; 11 online
    expect(clientOf(s, 10).registeredAt).toBe(clientOf(s, 11).registeredAt);
    expect(clientOf(s, 10).regSeq).toBeLessThan(clientOf(s, 11).regSeq);
    const r = login(s, { link: 3, clientId: 10, kind: 'resume' }, T0);
    expect(r).toEqual(
      result([
        commit,
        statusEvent(11, 'enabled', 'banned', 'request'),
        closeCmd(cmd(s, 0), 2, 11, 'banned', false),
        offlineEvent(11, 2, 'banned'),
        takeoverEvent(1, 'otherClient', 10, 11, 'banned'),
        statusEvent(10, 'disabled', 'enabled', 'request'),
        replyCmd(cmd(s, 1), 3, 7, okAnswer(10)),
        onlineEvent(10, 3, 'resume'),
      ]),
    );
    expectInvariants(r.state);
  });

  test("B24: last seen is the hub's clock, never the client's", () => {
    // Seed: Start set LastSeen from the client's start time (client clock).
    const s = hubWith({ clients: [{ id: 10, profileId: 1 }] });
    const r = login(s, { link: 1, clientId: 10, kind: 'start' }, T0 + 777);
    expect(dialogOf(r.state, 10).lastSeen).toBe(T0 + 777);
  });
});

describe('B25: client id generation', () => {
  test('B25: registering with client id 0 answers invalidId, so the client draws another id; no client 0 ever exists', () => {
    // Seed: a 0 id was accepted at registration and was invalid on read; collisions got InvalidID, a 0 id did not.
    const s = hubWith();
    const r = stepF(s, { type: 'requestReceived', link: lnk(1), request: { kind: 'register', requestId: 1, clientId: 0, profileId: 1, contact: NEW_CONTACT, environment: {} }, issued: { secret: 'x' } } as HubInput);
    expect(r).toEqual(result([commit, logCmd('info', 'invalidClientId', null, { link: 1, clientId: 0 }), replyCmd(cmd(s, 0), 1, 1, { code: 'invalidId', clientId: 0 })]));
    expect(r.state.clients.has(0)).toBe(false);
  });

  test('B25: any other request naming client id 0 is malformed (logged, closed refused)', () => {
    const s = hubWith();
    const r = stepF(s, { type: 'requestReceived', link: lnk(1), request: { kind: 'start', requestId: 1, clientId: 0, credential: { secret: 'x' }, environment: {}, lastReceived: 0 } } as HubInput);
    expect(r).toEqual(result([commit, logCmd('warn', 'malformedRequest', null, { link: 1, problem: 'clientId' }), closeCmd(cmd(s, 0), 1, null, 'refused', false)]));
    expect(r.state.clients.has(0)).toBe(false);
  });
});

describe('B26: profiles.gov is not published at governor initialisation', () => {
  test('B26: a new installation gets the profile list at once, by asking or by naming a wrong profile', () => {
    // Seed: the list was published only on a profile change, so nobody could register on a fresh governor.
    const s = hubWith({ profiles: [{ id: 1, name: 'Main' }] });
    const asked = stepF(s, { type: 'requestReceived', link: lnk(1), request: { kind: 'profiles', requestId: 1, clientId: cid(10) } });
    expect(asked.commands).toContainEqual(replyCmd(cmd(s, 0), 1, 1, { code: 'profiles', clientId: 10, profiles: [{ id: 1, name: 'Main', mode: 'auto' }] }));
    const wrong = register(s, { link: 1, clientId: 10, profileId: 9 });
    expect(wrong.commands).toContainEqual(replyCmd(cmd(s, 0), 1, 1, { code: 'invalidProfile', clientId: 10, profiles: [{ id: 1, name: 'Main', mode: 'auto' }] }));
  });
});

describe('B28: ambiguities, decided', () => {
  test('B28: start does not honour manual mode (choice: an enabled client may start in a manual profile, as the seed)', () => {
    const s = hubWith({ profiles: [{ id: 1, mode: 'manual' }], clients: [{ id: 10, profileId: 1 }] });
    const r = login(s, { link: 1, clientId: 10, kind: 'start' });
    expect(r).toEqual(result([commit, replyCmd(cmd(s, 0), 1, 7, okAnswer(10)), onlineEvent(10, 1, 'start')]));
  });

  test('B28: a sync may re-admit the enabled client of a manual profile (choice: allowed; it changes no status)', () => {
    const s = hubWith({ profiles: [{ id: 1, mode: 'manual' }], clients: [{ id: 10, profileId: 1 }] });
    const r = login(s, { link: 1, clientId: 10, kind: 'sync' });
    expect(r).toEqual(result([commit, replyCmd(cmd(s, 0), 1, 7, okAnswer(10)), onlineEvent(10, 1, 'sync')]));
  });

  test('B28: ...but neither start nor sync re-admits a disabled client of a manual profile (only the operator changes it)', () => {
    const s = hubWith({ profiles: [{ id: 1, mode: 'manual' }], clients: [{ id: 10, profileId: 1, status: 'disabled' }] });
    for (const kind of ['start', 'sync'] as const) {
      expect(login(s, { link: 1, clientId: 10, kind }).commands).toContainEqual(replyCmd(cmd(s, 0), 1, 7, rejectedAnswer(10, 'disabled')));
    }
  });

  test('B28: under seniority a registration displaces an offline older client, which wins back by resume (choice: kept, as the seed)', () => {
    let s = hubWith({ policy: 'seniority', clients: [{ id: 10, profileId: 1 }] });
    s = register(s, { link: 2, clientId: 11, profileId: 1 }).state;
    expect(clientOf(s, 10).status).toBe('disabled');
    const r = login(s, { link: 1, clientId: 10, kind: 'resume' });
    expect(clientOf(r.state, 11).status).toBe('banned');
    expect(r.commands).toContainEqual(closeCmd(cmd(s, 0), 2, 11, 'banned', false));
    expectInvariants(r.state);
  });

  test('B28: reset removes the client from the online set (choice: yes, told reset)', () => {
    const s = hubWith({ clients: [{ id: 10, profileId: 1, link: 1 }] });
    const r = setStatus(s, 10, 'reset');
    expect(r.commands).toContainEqual(closeCmd(cmd(s, 0), 1, 10, 'reset', false));
    expect(linkOf(r.state, 10)).toBeUndefined();
  });
});
