/**
 * messagesReceived: the dialog channel, client→hub. Client 10 is online on
 * link 1 unless a test says otherwise.
 */
import { describe, expect, test } from 'vitest';
import type { HubConfig } from '../../src/config.js';
import type { DialogMessage } from '../../src/messages.js';
import type { HubState } from '../../src/state.js';
import {
  CONTACT,
  T0,
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
  offlineEvent,
  okAnswer,
  onlineEvent,
  profileOf,
  replyCmd,
  result,
  send,
  sessionOn,
  stepF,
  writeCmd,
} from '../helpers.js';

const CHAT = { appMessageTypes: ['chat'] } satisfies HubConfig;
const online = (config: HubConfig = CHAT): HubState => hubWith({ clients: [{ id: 10, profileId: 1, link: 1 }], config });
/** A Null answering a Sync (replyTo > 0): it gets no bare ack of its own. */
const nul = (seq: number, ack = 0): DialogMessage => msg(seq, ack, { type: 'null', replyTo: 1 });
const bareAck = (ack: number): DialogMessage => msg(0, ack, { type: 'ack' });
const NEW_CONTACT = { name: 'Bob', phone: '1', email: 'bob@example.org' };

function pushApp(s: HubState, n: number): HubState {
  for (let i = 0; i < n; i++) {
    s = stepF(s, { type: 'appMessageSent', actionId: `p${i}`, to: { clientId: cid(10) }, appType: 'chat', payload: new Uint8Array([i]), replyTo: 0 }).state;
  }
  return s;
}

describe('sequencing', () => {
  test('an in-order message is handled once, counted, and acknowledged with a bare ack', () => {
    const s = online();
    const r = send(s, 1, [msg(1, 0, { type: 'log', at: 7, isError: false, text: 'hi' })], T0 + 100);
    expect(r).toEqual(result([commit, logCmd('info', 'clientLog', 10, { text: 'hi', clientTime: 7, seq: 1 }), writeCmd(cmd(s, 0), 1, 10, [bareAck(1)])]));
    expect(sessionOn(r.state, 1)).toMatchObject({
      lastHeard: T0 + 100,
      syncAt: T0 + 10_100,
      deadAt: T0 + 30_100,
      // The deadline index is lazy: activity does not move the entry.
      indexedAt: T0 + 10_000,
      dialog: { inSeq: 1, messagesIn: 1, lastSeen: T0 + 100 },
    });
    expectInvariants(r.state);
  });

  test('a duplicate is dropped (no second deliver), logged, and acknowledged again', () => {
    let s = online();
    const m = msg(1, 0, { type: 'app', appType: 'chat', payload: new Uint8Array([7]), replyTo: 0 });
    s = send(s, 1, [m]).state;
    const r = send(s, 1, [m]);
    expect(r).toEqual(result([commit, logCmd('debug', 'duplicatesDropped', 10, { count: 1 }), writeCmd(cmd(s, 0), 1, 10, [bareAck(1)])]));
    expect(dialogOf(r.state, 10)).toMatchObject({ inSeq: 1, messagesIn: 1 });
    expectInvariants(r.state);
  });

  test('a gap is dropped and logged; the ack tells the client where to resume', () => {
    let s = online();
    s = send(s, 1, [nul(1)]).state;
    const r = send(s, 1, [nul(3), nul(4)]);
    expect(r).toEqual(result([commit, logCmd('info', 'gapDropped', 10, { count: 2, expected: 2 }), writeCmd(cmd(s, 0), 1, 10, [bareAck(1)])]));
    expect(dialogOf(r.state, 10)).toMatchObject({ inSeq: 1, messagesIn: 1 });
    expectInvariants(r.state);
  });

  test('out of order within a batch: each message is judged against what was handled before it', () => {
    const s = online();
    const r = send(s, 1, [nul(2), nul(1), nul(3)]);
    // 2 is a gap when it comes, 1 is in order, 3 is then a gap: the client resends from 2.
    expect(r).toEqual(result([commit, logCmd('info', 'gapDropped', 10, { count: 2, expected: 2 }), writeCmd(cmd(s, 0), 1, 10, [bareAck(1)])]));
    expect(dialogOf(r.state, 10)).toMatchObject({ inSeq: 1, messagesIn: 1 });
    expectInvariants(r.state);
  });

  test('a piggybacked ack trims the outbox', () => {
    let s = online();
    s = pushApp(s, 2);
    const r = send(s, 1, [nul(1, 1)]);
    // A Null alone gets no bare ack: the hub's next message (here seq 2, resent later) carries it.
    expect(r).toEqual(result([commit]));
    expect(dialogOf(r.state, 10)).toMatchObject({ outAcked: 1, outSeq: 2, outbox: [{ seq: 2 }] });
    expectInvariants(r.state);
  });

  test('a bare ack (seq 0) only acknowledges: nothing handled, nothing sent', () => {
    let s = online();
    s = pushApp(s, 2);
    const r = send(s, 1, [bareAck(2)]);
    expect(r).toEqual(result([commit]));
    expect(dialogOf(r.state, 10)).toMatchObject({ inSeq: 0, messagesIn: 0, outAcked: 2, outbox: [] });
    expectInvariants(r.state);
  });

  test('an ack beyond what was sent is clamped and logged', () => {
    let s = online();
    s = pushApp(s, 1);
    const r = send(s, 1, [nul(1, 5)]);
    expect(r).toEqual(result([commit, logCmd('warn', 'ackBeyondSent', 10, { ack: 5, lastSent: 1 })]));
    expect(dialogOf(r.state, 10)).toMatchObject({ outAcked: 1, outbox: [] });
    expectInvariants(r.state);
  });

  test('counters count messages, not id gaps (B5)', () => {
    let s = online();
    s = send(s, 1, [nul(1), nul(2), nul(5), nul(2)]).state;
    expect(dialogOf(s, 10)).toMatchObject({ inSeq: 2, messagesIn: 2 });
  });
});

describe('message bodies', () => {
  test('null: handled and counted, with no bare ack of its own (the hub\'s next message acknowledges it)', () => {
    const s = online();
    const r = send(s, 1, [msg(1, 0, { type: 'null', replyTo: 4 })], T0 + 100);
    expect(r).toEqual(result([commit]));
    expect(dialogOf(r.state, 10)).toMatchObject({ inSeq: 1, messagesIn: 1 });
    expect(sessionOn(r.state, 1)).toMatchObject({ lastHeard: T0 + 100, deadAt: T0 + 30_100 });
    // The next hub message carries the acknowledgement.
    const next = stepF(r.state, { type: 'appMessageSent', actionId: 'p', to: { clientId: cid(10) }, appType: 'chat', payload: new Uint8Array([1]), replyTo: 0 });
    expect(next.commands).toContainEqual(expect.objectContaining({ type: 'writeDialog', messages: [expect.objectContaining({ seq: 1, ack: 1 })] }));
    expectInvariants(r.state);
  });

  test('a keep-alive Null (replyTo 0) is a question: it gets a bare ack', () => {
    const s = online();
    const r = send(s, 1, [msg(1, 0, { type: 'null', replyTo: 0 })]);
    expect(r).toEqual(result([commit, writeCmd(cmd(s, 0), 1, 10, [bareAck(1)])]));
  });

  test('null with another message in the batch: the batch is acknowledged as usual', () => {
    const s = online();
    const r = send(s, 1, [nul(1), msg(2, 0, { type: 'log', at: 7, isError: false, text: 'hi' })]);
    expect(r).toEqual(result([commit, logCmd('info', 'clientLog', 10, { text: 'hi', clientTime: 7, seq: 2 }), writeCmd(cmd(s, 0), 1, 10, [bareAck(2)])]));
  });

  test('log: an info or warn log command with the client clock', () => {
    const s = online();
    const r = send(s, 1, [msg(1, 0, { type: 'log', at: 42, isError: false, text: 'hello' }), msg(2, 0, { type: 'log', at: 43, isError: true, text: 'oops' })]);
    expect(r).toEqual(
      result([
        commit,
        logCmd('info', 'clientLog', 10, { text: 'hello', clientTime: 42, seq: 1 }),
        logCmd('warn', 'clientLog', 10, { text: 'oops', clientTime: 43, seq: 2 }),
        writeCmd(cmd(s, 0), 1, 10, [bareAck(2)]),
      ]),
    );
    expectInvariants(r.state);
  });

  test('close: the session ends (told closedByClient), the status and dialog stay', () => {
    const s = online();
    const r = send(s, 1, [nul(1), msg(2, 0, { type: 'close' }), nul(3)]);
    expect(r).toEqual(
      result([commit, logCmd('info', 'clientClosed', 10, { seq: 2 }), closeCmd(cmd(s, 0), 1, 10, 'closedByClient', false), offlineEvent(10, 1, 'closedByClient')]),
    );
    expect(linkOf(r.state, 10)).toBeUndefined();
    expect(clientOf(r.state, 10).status).toBe('enabled');
    expect(clientOf(r.state, 10).dialog).toMatchObject({ inSeq: 2, messagesIn: 2 });
    expectInvariants(r.state);
  });

  test('an answer queued before a close in the same batch is kept and resent at the next login', () => {
    let s = online();
    s = send(s, 1, [msg(1, 0, { type: 'setInfo', contact: NEW_CONTACT }), msg(2, 0, { type: 'close' })]).state;
    expect(dialogOf(s, 10).outbox).toEqual([{ seq: 1, body: { type: 'ok', replyTo: 1 } }]);
    const r = login(s, { link: 2, clientId: 10 });
    expect(r).toEqual(
      result([
        commit,
        replyCmd(cmd(s, 0), 2, 7, okAnswer(10, { lastReceived: 2, lastSent: 1 })),
        writeCmd(cmd(s, 1), 2, 10, [msg(1, 2, { type: 'ok', replyTo: 1 })]),
        onlineEvent(10, 2, 'login'),
      ]),
    );
    expectInvariants(r.state);
  });

  describe('setInfo', () => {
    test("changes the contact fields only; the ok answer takes the hub's next seq (B1, B2)", () => {
      let s = online();
      s = pushApp(s, 1); // the hub's counter is at 1
      const before = clientOf(s, 10);
      const r = send(s, 1, [msg(1, 0, { type: 'setInfo', contact: NEW_CONTACT })], T0 + 500);
      expect(r).toEqual(result([commit, writeCmd(cmd(s, 0), 1, 10, [msg(2, 1, { type: 'ok', replyTo: 1 })])]));
      expect(clientOf(r.state, 10)).toEqual({ ...before, contact: NEW_CONTACT });
      expect(dialogOf(r.state, 10)).toMatchObject({ inSeq: 1, outSeq: 2, messagesIn: 1, messagesOut: 2 });
      expectInvariants(r.state);
    });

    test('matching ids in the payload are accepted', () => {
      const s = online();
      const r = send(s, 1, [msg(1, 0, { type: 'setInfo', contact: NEW_CONTACT, clientId: 10, profileId: 1 })]);
      expect(r).toEqual(result([commit, writeCmd(cmd(s, 0), 1, 10, [msg(1, 1, { type: 'ok', replyTo: 1 })])]));
      expect(clientOf(r.state, 10).contact).toEqual(NEW_CONTACT);
    });

    test.each([
      ['clientId', { clientId: 11 }, { claimedClient: 11, claimedProfile: null }],
      ['profileId', { profileId: 2 }, { claimedClient: null, claimedProfile: 2 }],
    ])('a mismatched %s is refused and changes nothing (B3)', (_name, ids, detail) => {
      const s = hubWith({ profiles: [{ id: 1 }, { id: 2 }], clients: [{ id: 10, profileId: 1, link: 1 }] });
      const r = send(s, 1, [msg(1, 0, { type: 'setInfo', contact: NEW_CONTACT, ...ids })]);
      expect(r).toEqual(
        result([
          commit,
          logCmd('warn', 'setInfoIdMismatch', 10, { seq: 1, ...detail }),
          writeCmd(cmd(s, 0), 1, 10, [msg(1, 1, { type: 'refused', replyTo: 1, reason: 'idMismatch' })]),
        ]),
      );
      expect(clientOf(r.state, 10)).toMatchObject({ id: 10, profileId: 1, contact: CONTACT });
      expect(profileOf(r.state, 2).clientCount).toBe(0);
      expectInvariants(r.state);
    });
  });

  describe('app', () => {
    test('a registered type is delivered exactly once, then acknowledged', () => {
      const s = online();
      const payload = new Uint8Array([1, 2, 3]);
      const r = send(s, 1, [msg(1, 0, { type: 'app', appType: 'chat', payload, replyTo: 0 })]);
      expect(r).toEqual(
        result([commit, { type: 'deliver', clientId: 10, seq: 1, appType: 'chat', payload, replyTo: 0 }, writeCmd(cmd(s, 0), 1, 10, [bareAck(1)])]),
      );
      expect(dialogOf(r.state, 10).unconfirmed).toEqual([{ seq: 1, appType: 'chat', payload, replyTo: 0 }]);
      // Resent (the ack was lost): not delivered again.
      const again = send(r.state, 1, [msg(1, 0, { type: 'app', appType: 'chat', payload, replyTo: 0 })]);
      expect(again.commands.filter((c) => c.type === 'deliver')).toEqual([]);
      expectInvariants(again.state);
    });

    test('application answers are delivered in order with their replyTo', () => {
      let s = online();
      s = pushApp(s, 1);
      const a = new Uint8Array([1]);
      const b = new Uint8Array([2]);
      const r = send(s, 1, [msg(1, 1, { type: 'app', appType: 'chat', payload: a, replyTo: 1 }), msg(2, 1, { type: 'app', appType: 'chat', payload: b, replyTo: 0 })]);
      expect(r).toEqual(
        result([
          commit,
          { type: 'deliver', clientId: 10, seq: 1, appType: 'chat', payload: a, replyTo: 1 },
          { type: 'deliver', clientId: 10, seq: 2, appType: 'chat', payload: b, replyTo: 0 },
          writeCmd(cmd(s, 0), 1, 10, [bareAck(2)]),
        ]),
      );
      expect(dialogOf(r.state, 10).outbox).toEqual([]);
    });

    test('over maxUnconfirmed the application is behind: the message is left unhandled (not acked), and so is the rest', () => {
      let s = online({ appMessageTypes: ['chat'], maxUnconfirmed: 1 });
      const p = (n: number) => new Uint8Array([n]);
      const app = (seq: number) => msg(seq, 0, { type: 'app', appType: 'chat', payload: p(seq), replyTo: 0 });
      const r = send(s, 1, [app(1), app(2), nul(3)]);
      expect(r).toEqual(
        result([
          commit,
          { type: 'deliver', clientId: 10, seq: 1, appType: 'chat', payload: p(1), replyTo: 0 },
          logCmd('warn', 'applicationBacklog', 10, { seq: 2, unconfirmed: 1 }),
          writeCmd(cmd(s, 0), 1, 10, [bareAck(1)]),
        ]),
      );
      expect(dialogOf(r.state, 10)).toMatchObject({ inSeq: 1, messagesIn: 1 });
      expectInvariants(r.state);
      // Once the application confirms, the client's resend is delivered.
      s = stepF(r.state, { type: 'appMessageHandled', clientId: cid(10), seq: 1 }).state;
      const again = send(s, 1, [app(2), nul(3)]);
      expect(again).toEqual(
        result([commit, { type: 'deliver', clientId: 10, seq: 2, appType: 'chat', payload: p(2), replyTo: 0 }, writeCmd(cmd(s, 0), 1, 10, [bareAck(3)])]),
      );
      expectInvariants(again.state);
    });

    test('an unregistered type is refused, logged, and its seq consumed', () => {
      const s = online();
      const r = send(s, 1, [msg(1, 0, { type: 'app', appType: 'video', payload: new Uint8Array(0), replyTo: 0 })]);
      expect(r).toEqual(
        result([
          commit,
          logCmd('warn', 'unknownAppType', 10, { appType: 'video', seq: 1 }),
          writeCmd(cmd(s, 0), 1, 10, [msg(1, 1, { type: 'refused', replyTo: 1, reason: 'unknownAppType' })]),
        ]),
      );
      expect(dialogOf(r.state, 10)).toMatchObject({ inSeq: 1, outSeq: 1 });
      expectInvariants(r.state);
    });
  });

  test.each([
    ['sync', { type: 'sync' }],
    ['ok', { type: 'ok', replyTo: 1 }],
    ['refused', { type: 'refused', replyTo: 1, reason: 'x' }],
  ] as const)('a hub→client body (%s) from the client is logged unexpectedMessage, its seq consumed', (type, body) => {
    const s = online();
    const r = send(s, 1, [msg(1, 0, body), nul(2)]);
    expect(r).toEqual(result([commit, logCmd('warn', 'unexpectedMessage', 10, { type, seq: 1 }), writeCmd(cmd(s, 0), 1, 10, [bareAck(2)])]));
    expect(dialogOf(r.state, 10)).toMatchObject({ inSeq: 2, messagesIn: 2 });
    expectInvariants(r.state);
  });

  test('several answers in one batch go out in one writeDialog, each with the final ack', () => {
    const s = online();
    const r = send(s, 1, [msg(1, 0, { type: 'setInfo', contact: NEW_CONTACT }), msg(2, 0, { type: 'app', appType: 'nope', payload: new Uint8Array(0), replyTo: 0 })]);
    expect(r).toEqual(
      result([
        commit,
        logCmd('warn', 'unknownAppType', 10, { appType: 'nope', seq: 2 }),
        writeCmd(cmd(s, 0), 1, 10, [msg(1, 2, { type: 'ok', replyTo: 1 }), msg(2, 2, { type: 'refused', replyTo: 2, reason: 'unknownAppType' })]),
      ]),
    );
  });
});

describe('malformed messages stop the batch', () => {
  const cases: [string, unknown, string, number][] = [
    ['a payload that is not bytes', { seq: 2, ack: 0, body: { type: 'app', appType: 'chat', payload: [1], replyTo: 0 } }, 'payload', 2],
    ['an oversize log text', { seq: 2, ack: 0, body: { type: 'log', at: 0, isError: false, text: 'x'.repeat(21) } }, 'log', 2],
    ['an ack body with a seq', { seq: 2, ack: 0, body: { type: 'ack' } }, 'seq 0 is only for a bare ack', 2],
    ['a seq-0 message that is not an ack', { seq: 0, ack: 0, body: { type: 'null', replyTo: 0 } }, 'seq 0 is only for a bare ack', 0],
    ['an unknown body type', { seq: 2, ack: 0, body: { type: 'teleport' } }, 'body type', 2],
    ['a negative seq', { seq: -2, ack: 0, body: { type: 'null', replyTo: 0 } }, 'seq/ack', -2],
    ['a fractional ack', { seq: 2, ack: 0.5, body: { type: 'null', replyTo: 0 } }, 'seq/ack', 2],
    ['a missing body', { seq: 2, ack: 0 }, 'body', 2],
    ['not an object', null, 'not an object', -1],
    ['an empty appType', { seq: 2, ack: 0, body: { type: 'app', appType: '', payload: new Uint8Array(0), replyTo: 0 } }, 'appType', 2],
    ['a setInfo with an oversize contact', { seq: 2, ack: 0, body: { type: 'setInfo', contact: { name: 'x'.repeat(21), phone: '', email: '' } } }, 'contact', 2],
  ];
  test.each(cases)('%s', (_name, bad, problem, seq) => {
    const s = online({ appMessageTypes: ['chat'], limits: { maxTextLength: 20 } });
    const r = send(s, 1, [nul(1), bad as DialogMessage, nul(3)]);
    expect(r).toEqual(result([commit, logCmd('warn', 'malformedMessage', 10, { problem, seq }), writeCmd(cmd(s, 0), 1, 10, [bareAck(1)])]));
    expect(dialogOf(r.state, 10)).toMatchObject({ inSeq: 1, messagesIn: 1 });
    expectInvariants(r.state);
  });

  test('answers computed before the malformed message are still written (B7)', () => {
    const s = online();
    const r = send(s, 1, [msg(1, 0, { type: 'setInfo', contact: NEW_CONTACT }), { seq: 2, ack: 0, body: { type: 'bogus' } } as unknown as DialogMessage]);
    expect(r).toEqual(
      result([commit, logCmd('warn', 'malformedMessage', 10, { problem: 'body type', seq: 2 }), writeCmd(cmd(s, 0), 1, 10, [msg(1, 1, { type: 'ok', replyTo: 1 })])]),
    );
  });

  test('a batch whose first message is malformed answers nothing but still counts as liveness', () => {
    const s = online();
    const r = send(s, 1, [{ seq: 1, ack: 0, body: { type: 'bogus' } } as unknown as DialogMessage], T0 + 5);
    expect(r).toEqual(result([commit, logCmd('warn', 'malformedMessage', 10, { problem: 'body type', seq: 1 })]));
    expect(sessionOn(r.state, 1)?.lastHeard).toBe(T0 + 5);
  });
});

describe('limits and links', () => {
  test('a batch over limits.maxBatch is truncated and logged', () => {
    const s = online({ limits: { maxBatch: 2 } });
    const r = send(s, 1, [nul(1), nul(2), nul(3)]);
    expect(r).toEqual(result([commit, logCmd('warn', 'batchTooLarge', 10, { count: 3, kept: 2 }), writeCmd(cmd(s, 0), 1, 10, [bareAck(2)])]));
    expect(dialogOf(r.state, 10).inSeq).toBe(2);
    expectInvariants(r.state);
  });

  test('messages on a link without a session: logged and closed notLoggedIn (may reconnect)', () => {
    const s = online();
    const r = send(s, 5, [nul(1), nul(2)]);
    expect(r).toEqual(result([commit, logCmd('warn', 'messagesWithoutSession', null, { link: 5, count: 2 }), closeCmd(cmd(s, 0), 5, null, 'notLoggedIn', true)]));
    expect(sessionOn(r.state, 1)).toEqual(sessionOn(s, 1));
    expectInvariants(r.state);
  });

  test('an empty batch still counts as liveness and sends nothing', () => {
    const s = online();
    const r = send(s, 1, [], T0 + 9);
    expect(r).toEqual(result([commit]));
    expect(sessionOn(r.state, 1)?.lastHeard).toBe(T0 + 9);
  });

  test('outbox full: the answer is dropped with an outboxFull log, the message still acknowledged', () => {
    let s = online({ maxOutbox: 1 });
    s = send(s, 1, [msg(1, 0, { type: 'setInfo', contact: NEW_CONTACT })]).state;
    const second = { ...NEW_CONTACT, name: 'Carol' };
    const r = send(s, 1, [msg(2, 0, { type: 'setInfo', contact: second })]);
    expect(r).toEqual(result([commit, logCmd('warn', 'outboxFull', 10, { outbox: 1, dropped: 'ok', replyTo: 2 }), writeCmd(cmd(s, 0), 1, 10, [bareAck(2)])]));
    expect(dialogOf(r.state, 10)).toMatchObject({ inSeq: 2, outSeq: 1, outbox: [{ seq: 1 }] });
    expect(clientOf(r.state, 10).contact).toEqual(second);
    expectInvariants(r.state);
  });
});
