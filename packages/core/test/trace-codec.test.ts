/**
 * Example tests of the trace record codec: the byte layout of a few records is
 * written out literally (docs/wire-format.md §9 is normative), every input and
 * command variant is round-tripped by name, and each way a payload can be
 * refused is shown with its error code and offset.
 */
import { describe, expect, it } from 'vitest';
import type { HubCommand, HubEvent } from '../src/commands.js';
import { verifierOf } from '../src/credentials.js';
import { HubUsageError } from '../src/errors.js';
import type { ClientId, CommandId, LinkId, ProfileId } from '../src/ids.js';
import type { HubInput } from '../src/inputs.js';
import type { DecodeErrorCode } from '../src/protocol/codec.js';
import {
  TRACE_COMMAND_CODES,
  TRACE_EVENT_CODES,
  TRACE_INPUT_CODES,
  TRACE_LOG_LEVEL_CODES,
  TRACE_POLICY_CODES,
  TRACE_RECORD_VERSION,
  decodeRecord,
  encodeRecord,
  type TraceRecord,
} from '../src/protocol/trace-codec.js';
import * as core from '../src/index.js';

const link = (n: number) => n as LinkId;
const cid = (n: number) => n as ClientId;
const pid = (n: number) => n as ProfileId;
const cmd = (n: number) => n as CommandId;

/** Bytes as spaced upper-case hex, for literal layouts. */
function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).toUpperCase().padStart(2, '0')).join(' ');
}

/** Hex text (spaces and line breaks ignored) as bytes. */
function unhex(text: string): Uint8Array {
  const digits = text.replace(/\s+/g, '');
  return new Uint8Array(digits.match(/../g)!.map((d) => parseInt(d, 16)));
}

/** Hex of an ASCII string's bytes. */
function ascii(s: string): string {
  return hex(new Uint8Array(Array.from(s, (c) => c.charCodeAt(0))));
}

/** Encodes, checks the exact bytes, and checks that they decode back to the record. */
function pin(record: TraceRecord, expected: string): void {
  expect(hex(encodeRecord(record))).toBe(hex(unhex(expected)));
  expect(decodeRecord(unhex(expected))).toStrictEqual({ ok: true, value: record });
}

function roundTrip(record: TraceRecord): TraceRecord {
  const r = decodeRecord(encodeRecord(record));
  if (!r.ok) throw new Error(`decode failed: ${r.error.code} at ${r.error.offset}: ${r.error.message}`);
  expect(r.value).toStrictEqual(record);
  return r.value;
}

function decodeError(bytes: Uint8Array): { code: DecodeErrorCode; offset: number } {
  const r = decodeRecord(bytes);
  if (r.ok) throw new Error('expected a decode error');
  expect(typeof r.error.message).toBe('string');
  return { code: r.error.code, offset: r.error.offset };
}

function expectUnencodable(record: unknown, field?: string): void {
  let thrown: unknown;
  try {
    encodeRecord(record as TraceRecord);
  } catch (e) {
    thrown = e;
  }
  expect(thrown).toBeInstanceOf(HubUsageError);
  expect((thrown as HubUsageError).code).toBe('invalidInput');
  if (field !== undefined) expect((thrown as HubUsageError).data['field']).toBe(field);
}

const at = (input: HubInput, commands?: readonly HubCommand[]): TraceRecord =>
  commands === undefined ? { seq: 1, now: 1_700_000_000_000, input } : { seq: 1, now: 1_700_000_000_000, input, commands };

const VERIFIER = '0123456789abcdef'.repeat(4);
const PAYLOAD = Uint8Array.from({ length: 32 }, (_, i) => i);

describe('code tables (part of the trace format: never renumber)', () => {
  it('pins every code', () => {
    expect(TRACE_RECORD_VERSION).toBe(1);
    expect(TRACE_INPUT_CODES).toEqual({
      requestReceived: 1,
      messagesReceived: 2,
      connectionClosed: 3,
      commandFailed: 4,
      profileCreated: 5,
      profileRenamed: 6,
      profileRemoved: 7,
      profileModeSet: 8,
      profilePolicySet: 9,
      statusSet: 10,
      clientKicked: 11,
      clientDeleted: 12,
      appMessageSent: 13,
      appMessageHandled: 14,
      timerFired: 15,
    });
    expect(TRACE_COMMAND_CODES).toEqual({ commit: 1, reply: 2, writeDialog: 3, close: 4, deliver: 5, notify: 6, actionResult: 7, log: 8 });
    expect(TRACE_EVENT_CODES).toEqual({
      clientRegistered: 1,
      clientOnline: 2,
      clientOffline: 3,
      takeover: 4,
      statusChanged: 5,
      profileChanged: 6,
      requestRejected: 7,
      clientDeleted: 8,
    });
    expect(TRACE_LOG_LEVEL_CODES).toEqual({ debug: 1, info: 2, warn: 3, error: 4 });
    expect(TRACE_POLICY_CODES).toEqual({ replaceOld: 1, ignoreNew: 2, seniority: 3 });
  });

  it('is exported from the package entry point', () => {
    expect(core.encodeRecord).toBe(encodeRecord);
    expect(core.decodeRecord).toBe(decodeRecord);
    expect(core.TRACE_RECORD_VERSION).toBe(TRACE_RECORD_VERSION);
  });
});

describe('byte layout (docs/wire-format.md §9.6)', () => {
  it('timerFired, seq 1, now 0', () => {
    pin({ seq: 1, now: 0, input: { type: 'timerFired' } }, '01 01 00 00 00 00 00 00 00 00 0F 00');
  });

  it('messagesReceived with one 32-byte app message (the recovery hot path)', () => {
    pin(
      {
        seq: 300,
        now: 1_700_000_000_000,
        input: { type: 'messagesReceived', link: link(7), messages: [{ seq: 5, ack: 2, body: { type: 'app', appType: 'chat', payload: PAYLOAD, replyTo: 0 } }] },
      },
      `01  AC 02  00 68 E5 CF 8B 01 00 00
       02  07  01
       05 02 08  04 ${ascii('chat')}  20 ${hex(PAYLOAD)}  00
       00`,
    );
  });

  it('requestReceived: a login with a verifier, an issued secret and denied', () => {
    pin(
      {
        seq: 2,
        now: -1,
        input: {
          type: 'requestReceived',
          link: link(0),
          request: { kind: 'login', requestId: 9, clientId: cid(0x01020304), credential: { verifier: VERIFIER }, environment: null, lastReceived: 5 },
          issued: { secret: 'pw' },
          denied: true,
        },
      },
      `01  02  FF FF FF FF FF FF FF FF
       01  00
       05 09 84 86 88 08
       02 ${'01 23 45 67 89 AB CD EF '.repeat(4)}
       00  05
       01 01 02 70 77
       01 01
       00`,
    );
  });

  it('a trace record with commands: commit, notify, log', () => {
    pin(
      {
        seq: 3,
        now: 1000,
        input: { type: 'connectionClosed', link: link(4), cause: 'eof' },
        commands: [
          { type: 'commit' },
          { type: 'notify', event: { type: 'clientOffline', clientId: cid(9), link: link(4), reason: 'connectionLost' } },
          { type: 'log', level: 'info', event: 'connectionLost', clientId: cid(9), detail: { link: 4, cause: 'eof' } },
        ],
      },
      `01  03  E8 03 00 00 00 00 00 00
       03  04  03 ${ascii('eof')}
       01 03
       01
       06  03 09 04 00
       08  02  0E ${ascii('connectionLost')}  01 09
           02  05 ${ascii('cause')} 05 03 ${ascii('eof')}
               04 ${ascii('link')} 04 00 00 00 00 00 00 10 40`,
    );
  });

  it('a reply command: the wire answer fields, integers as varuints', () => {
    pin(
      {
        seq: 4,
        now: 0,
        input: { type: 'timerFired' },
        commands: [
          {
            type: 'reply',
            commandId: cmd(300),
            link: link(1),
            requestId: 7,
            answer: { code: 'ok', clientId: cid(42), status: 'enabled', secret: null, lastReceived: 128, lastSent: 0 },
          },
        ],
      },
      `01 04 00 00 00 00 00 00 00 00 0F
       01 01
       02  AC 02  01  07  01 2A 01 00 80 01 00`,
    );
  });
});

describe('every input variant round-trips', () => {
  const inputs: Record<HubInput['type'], HubInput[]> = {
    requestReceived: [
      {
        type: 'requestReceived',
        link: link(1),
        request: { kind: 'register', requestId: 1, clientId: cid(5), profileId: pid(2), contact: { name: 'n', phone: 'p', email: 'e' }, environment: { os: 'linux', arch: 'x64' } },
        issued: { secret: 's3cret' },
      },
      {
        type: 'requestReceived',
        link: link(1),
        request: { kind: 'register', requestId: 1, clientId: cid(5), profileId: pid(2), contact: { name: '', phone: '', email: '' }, environment: {} },
        issued: { verifier: verifierOf('s3cret') },
        denied: false,
      },
      { type: 'requestReceived', link: link(2), request: { kind: 'start', requestId: 2, clientId: cid(5), credential: { secret: 'x' }, environment: { a: 'b' }, lastReceived: 0 } },
      { type: 'requestReceived', link: link(2), request: { kind: 'resume', requestId: 3, clientId: cid(5), credential: { verifier: VERIFIER }, lastReceived: 0xffffffff } },
      { type: 'requestReceived', link: link(2), request: { kind: 'sync', requestId: 0xffffffff, clientId: cid(0xffffffff), credential: { secret: 'é' }, lastReceived: 3 } },
      { type: 'requestReceived', link: link(2), request: { kind: 'login', requestId: 4, clientId: cid(5), credential: { secret: 'x' }, environment: { k: 'v' }, lastReceived: 3 }, denied: true },
      { type: 'requestReceived', link: link(0xffffffff), request: { kind: 'profiles', requestId: 0, clientId: cid(1) } },
    ],
    messagesReceived: [
      { type: 'messagesReceived', link: link(3), messages: [] },
      {
        type: 'messagesReceived',
        link: link(3),
        messages: [
          { seq: 1, ack: 0, body: { type: 'null', replyTo: 0 } },
          { seq: 2, ack: 0, body: { type: 'setInfo', contact: { name: 'a', phone: 'b', email: 'c' }, clientId: 5 } },
          { seq: 3, ack: 0, body: { type: 'setInfo', contact: { name: 'a', phone: 'b', email: 'c' } } },
          { seq: 4, ack: 1, body: { type: 'log', at: -5, isError: true, text: 'boom' } },
          { seq: 5, ack: 1, body: { type: 'app', appType: 'chat', payload: new Uint8Array([1, 2]), replyTo: 3 } },
          { seq: 6, ack: 1, body: { type: 'close' } },
          { seq: 0, ack: 9, body: { type: 'ack' } },
          { seq: 7, ack: 1, body: { type: 'sync' } },
          { seq: 8, ack: 1, body: { type: 'ok', replyTo: 2 } },
          { seq: 9, ack: 1, body: { type: 'refused', replyTo: 2, reason: 'no' } },
        ],
      },
    ],
    connectionClosed: [{ type: 'connectionClosed', link: link(3), cause: 'reset by peer' }],
    commandFailed: [
      { type: 'commandFailed', commandId: cmd(12), command: 'reply', link: link(3), reason: 'broken pipe' },
      { type: 'commandFailed', commandId: cmd(2 ** 40), command: 'writeDialog', link: link(3), reason: '' },
      { type: 'commandFailed', commandId: cmd(0), command: 'close', link: link(0), reason: 'x' },
    ],
    profileCreated: [
      { type: 'profileCreated', actionId: 'a1', profileId: pid(1), name: 'north' },
      { type: 'profileCreated', actionId: 'a2', profileId: pid(2), name: 'south', mode: 'manual' },
      { type: 'profileCreated', actionId: 'a3', profileId: pid(3), name: 'east', policy: null },
      { type: 'profileCreated', actionId: 'a4', profileId: pid(4), name: 'west', mode: 'auto', policy: 'seniority' },
    ],
    profileRenamed: [{ type: 'profileRenamed', actionId: 'a', profileId: pid(1), name: 'n2' }],
    profileRemoved: [{ type: 'profileRemoved', actionId: 'a', profileId: pid(0) }],
    profileModeSet: [{ type: 'profileModeSet', actionId: 'a', profileId: pid(1), mode: 'manual' }],
    profilePolicySet: [
      { type: 'profilePolicySet', actionId: 'a', profileId: pid(1), policy: null },
      { type: 'profilePolicySet', actionId: 'a', profileId: pid(1), policy: 'replaceOld' },
      { type: 'profilePolicySet', actionId: 'a', profileId: pid(1), policy: 'ignoreNew' },
    ],
    statusSet: [
      { type: 'statusSet', actionId: 'a', clientId: cid(1), status: 'banned' },
      { type: 'statusSet', actionId: 'a', clientId: cid(1), status: 'reset' },
    ],
    clientKicked: [{ type: 'clientKicked', actionId: 'a', clientId: cid(Number.MAX_SAFE_INTEGER) }],
    clientDeleted: [{ type: 'clientDeleted', actionId: '', clientId: cid(1) }],
    appMessageSent: [
      { type: 'appMessageSent', actionId: 'a', to: { clientId: cid(1) }, appType: 'chat', payload: new Uint8Array(0), replyTo: 0 },
      { type: 'appMessageSent', actionId: 'a', to: { profileId: pid(1) }, appType: 'chat', payload: PAYLOAD, replyTo: 12 },
    ],
    appMessageHandled: [{ type: 'appMessageHandled', clientId: cid(1), seq: 77 }],
    timerFired: [{ type: 'timerFired' }],
  };

  for (const [type, list] of Object.entries(inputs)) {
    it(type, () => {
      for (const input of list) roundTrip(at(input));
    });
  }

  it('values the core accepts but the wire refuses: client id 0, integers beyond 2^32, seq 0 on a non-ack, any log time', () => {
    roundTrip(at({ type: 'requestReceived', link: link(1), request: { kind: 'register', requestId: 1, clientId: cid(0), profileId: pid(0), contact: { name: '', phone: '', email: '' }, environment: {} }, issued: { secret: 'x' } }, [
      { type: 'reply', commandId: cmd(1), link: link(1), requestId: 1, answer: { code: 'invalidId', clientId: cid(0) } },
    ]));
    roundTrip(at({ type: 'requestReceived', link: link(1), request: { kind: 'start', requestId: 2 ** 40, clientId: cid(2 ** 33), credential: { secret: '' }, environment: {}, lastReceived: 2 ** 50 } }));
    roundTrip(at({ type: 'messagesReceived', link: link(1), messages: [
      { seq: 0, ack: 0, body: { type: 'null', replyTo: 0 } },
      { seq: 5, ack: 0, body: { type: 'ack' } },
      { seq: 2 ** 40, ack: 2 ** 45, body: { type: 'app', appType: 'chat', payload: PAYLOAD, replyTo: 2 ** 36 } },
      { seq: 1, ack: 0, body: { type: 'setInfo', contact: { name: '', phone: '', email: '' }, clientId: 2 ** 35, profileId: 0 } },
      { seq: 2, ack: 0, body: { type: 'log', at: 1.5, isError: false, text: '' } },
      { seq: 3, ack: 0, body: { type: 'log', at: NaN, isError: false, text: '' } },
      { seq: 4, ack: 0, body: { type: 'log', at: -0, isError: true, text: '' } },
    ] }));
  });

  it('optional fields stay absent when absent, and present when present', () => {
    const plain = roundTrip(at({ type: 'requestReceived', link: link(1), request: { kind: 'profiles', requestId: 1, clientId: cid(1) } })).input;
    expect(Object.keys(plain).sort()).toEqual(['link', 'request', 'type']);
    const full = roundTrip(
      at({ type: 'requestReceived', link: link(1), request: { kind: 'profiles', requestId: 1, clientId: cid(1) }, issued: { secret: 'x' }, denied: false }),
    ).input;
    expect(Object.keys(full).sort()).toEqual(['denied', 'issued', 'link', 'request', 'type']);
    const created = roundTrip(at({ type: 'profileCreated', actionId: 'a', profileId: pid(1), name: 'n' })).input;
    expect('mode' in created || 'policy' in created).toBe(false);
    const withNull = roundTrip(at({ type: 'profileCreated', actionId: 'a', profileId: pid(1), name: 'n', policy: null })).input;
    expect(Object.keys(withNull).sort()).toEqual(['actionId', 'name', 'policy', 'profileId', 'type']);
    const noCommands = roundTrip(at({ type: 'timerFired' }));
    expect('commands' in noCommands).toBe(false);
    const emptyCommands = roundTrip(at({ type: 'timerFired' }, []));
    expect(emptyCommands.commands).toEqual([]);
    const setInfo = roundTrip(at({ type: 'messagesReceived', link: link(1), messages: [{ seq: 1, ack: 0, body: { type: 'setInfo', contact: { name: '', phone: '', email: '' }, profileId: 0 } }] }));
    const body = (setInfo.input as Extract<HubInput, { type: 'messagesReceived' }>).messages[0]!.body;
    expect(Object.keys(body).sort()).toEqual(['contact', 'profileId', 'type']);
  });

  it('seq and now: any safe integer now, any safe non-negative seq', () => {
    for (const now of [0, -1, 1, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 2 ** 32, -(2 ** 32)]) {
      roundTrip({ seq: 0, now, input: { type: 'timerFired' } });
    }
    roundTrip({ seq: Number.MAX_SAFE_INTEGER, now: 0, input: { type: 'timerFired' } });
  });

  it('decoded payloads are fresh plain arrays, even from a view into a larger buffer', () => {
    const bytes = encodeRecord(at({ type: 'appMessageSent', actionId: 'a', to: { clientId: cid(1) }, appType: 'chat', payload: PAYLOAD, replyTo: 0 }));
    const big = new Uint8Array(bytes.length + 10);
    big.set(bytes, 5);
    const view = big.subarray(5, 5 + bytes.length);
    const r = decodeRecord(view);
    expect(r.ok).toBe(true);
    if (!r.ok || r.value.input.type !== 'appMessageSent') return;
    const payload = r.value.input.payload;
    expect(payload).toStrictEqual(PAYLOAD);
    expect(payload.buffer).not.toBe(big.buffer);
    big.fill(0xee);
    expect(payload).toStrictEqual(PAYLOAD);
  });

  it('the hot messagesReceived record decodes the same through a view (fast path)', () => {
    const record = at({
      type: 'messagesReceived',
      link: link(7),
      messages: [
        { seq: 5, ack: 2, body: { type: 'app', appType: 'chat', payload: PAYLOAD, replyTo: 0 } },
        { seq: 6, ack: 2, body: { type: 'app', appType: 'chat', payload: new Uint8Array(100).fill(3), replyTo: 1 } },
        { seq: 0, ack: 3, body: { type: 'ack' } },
        { seq: 7, ack: 3, body: { type: 'null', replyTo: 4 } },
      ],
    });
    const bytes = encodeRecord(record);
    const big = new Uint8Array(bytes.length + 3);
    big.set(bytes, 3);
    expect(decodeRecord(big.subarray(3))).toStrictEqual({ ok: true, value: record });
    // The same app type many times (the string cache) and other types in between.
    for (const appType of ['chat', 'chat', 'x', '', 'chat', 'tchA', 'é', 'chat']) {
      roundTrip(at({ type: 'messagesReceived', link: link(1), messages: [{ seq: 1, ack: 0, body: { type: 'app', appType, payload: PAYLOAD, replyTo: 0 } }] }));
    }
  });
});

describe('every command variant round-trips', () => {
  const events: HubEvent[] = [
    { type: 'clientRegistered', clientId: cid(1), profileId: pid(2) },
    { type: 'clientOnline', clientId: cid(1), link: link(0), via: 'login' },
    { type: 'clientOnline', clientId: cid(1), link: link(3), via: 'resume' },
    { type: 'clientOffline', clientId: cid(1), link: link(3), reason: 'connectionLost' },
    { type: 'clientOffline', clientId: cid(1), link: link(3), reason: 'heartbeatTimeout' },
    { type: 'takeover', profileId: pid(2), conflict: 'sameClient', winner: cid(1), loser: cid(1), reason: 'replaced' },
    { type: 'takeover', profileId: pid(2), conflict: 'otherClient', winner: cid(1), loser: cid(4), reason: 'pushedOut' },
    { type: 'statusChanged', clientId: cid(1), from: 'enabled', to: 'disabled', cause: 'request' },
    { type: 'statusChanged', clientId: cid(1), from: 'banned', to: 'reset', cause: 'operator' },
    { type: 'profileChanged', profileId: pid(2), change: 'created', mode: 'auto', policy: null },
    { type: 'profileChanged', profileId: pid(2), change: 'policy', mode: 'manual', policy: 'seniority' },
    { type: 'profileChanged', profileId: pid(2), change: 'renamed', mode: 'manual', policy: 'ignoreNew' },
    { type: 'profileChanged', profileId: pid(2), change: 'removed', mode: 'manual', policy: 'replaceOld' },
    { type: 'profileChanged', profileId: pid(2), change: 'mode', mode: 'manual', policy: null },
    { type: 'requestRejected', clientId: cid(1), request: 'start', reason: 'badCredentials' },
    { type: 'requestRejected', clientId: cid(1), request: 'register', reason: 'denied' },
    { type: 'requestRejected', clientId: cid(1), request: 'login', reason: 'invalidId' },
    { type: 'requestRejected', clientId: cid(1), request: 'register', reason: 'invalidProfile' },
    { type: 'requestRejected', clientId: cid(1), request: 'sync', reason: 'reset' },
    { type: 'clientDeleted', clientId: cid(1) },
  ];
  const profiles = [
    { id: pid(1), name: 'north', mode: 'auto' as const },
    { id: pid(2), name: 'south', mode: 'manual' as const },
  ];
  const commands: Record<HubCommand['type'], HubCommand[]> = {
    commit: [{ type: 'commit' }],
    reply: [
      { type: 'reply', commandId: cmd(1), link: link(1), requestId: 1, answer: { code: 'ok', clientId: cid(1), status: 'enabled', secret: 'new', lastReceived: 0, lastSent: 0 } },
      { type: 'reply', commandId: cmd(1), link: link(1), requestId: 1, answer: { code: 'ok', clientId: cid(1), status: 'disabled', secret: null, lastReceived: 1, lastSent: 2 } },
      { type: 'reply', commandId: cmd(2), link: link(1), requestId: 2, answer: { code: 'rejected', clientId: cid(1), reason: 'seniority' } },
      { type: 'reply', commandId: cmd(3), link: link(1), requestId: 3, answer: { code: 'invalidId', clientId: cid(1) } },
      { type: 'reply', commandId: cmd(4), link: link(1), requestId: 4, answer: { code: 'invalidProfile', clientId: cid(1), profiles } },
      { type: 'reply', commandId: cmd(5), link: link(1), requestId: 5, answer: { code: 'reset', clientId: cid(1) } },
      { type: 'reply', commandId: cmd(6), link: link(1), requestId: 6, answer: { code: 'profiles', clientId: cid(1), profiles: [] } },
    ],
    writeDialog: [
      {
        type: 'writeDialog',
        commandId: cmd(7),
        link: link(1),
        clientId: cid(1),
        messages: [
          { seq: 1, ack: 4, body: { type: 'sync' } },
          { seq: 2, ack: 4, body: { type: 'app', appType: 'chat', payload: PAYLOAD, replyTo: 3 } },
        ],
      },
    ],
    close: [
      { type: 'close', commandId: cmd(8), link: link(1), clientId: null, reason: 'notLoggedIn', reconnect: true },
      { type: 'close', commandId: cmd(8), link: link(1), clientId: cid(3), reason: 'kicked', reconnect: false },
    ],
    deliver: [{ type: 'deliver', clientId: cid(1), seq: 4, appType: 'chat', payload: PAYLOAD, replyTo: 0 }],
    notify: events.map((event) => ({ type: 'notify' as const, event })),
    actionResult: [
      { type: 'actionResult', actionId: 'a1', ok: true, reason: null, message: 'done' },
      { type: 'actionResult', actionId: 'a2', ok: false, reason: 'unknownClient', message: 'client 3 does not exist' },
    ],
    log: [
      { type: 'log', level: 'debug', event: 'e', clientId: null, detail: {} },
      { type: 'log', level: 'warn', event: 'e', clientId: cid(2), detail: { s: 'x', n: 1.5, t: true, f: false, z: null, i: -3 } },
      { type: 'log', level: 'error', event: 'e', clientId: null, detail: { ['__proto__']: 'p', constructor: 1, '': '', é: 'é', '𝄞': 0 } },
    ],
  };

  for (const [type, list] of Object.entries(commands)) {
    it(type, () => {
      roundTrip(at({ type: 'timerFired' }, list));
      for (const c of list) roundTrip(at({ type: 'timerFired' }, [c]));
    });
  }

  it('log details keep every JS number exactly (f64), -0 and NaN included', () => {
    const numbers = [0, -0, 1, -1, 0.1, Math.PI, 2 ** 53, -(2 ** 60), Number.MAX_VALUE, Number.MIN_VALUE, -Number.MIN_VALUE, Infinity, -Infinity, NaN];
    const detail = Object.fromEntries(numbers.map((n, i) => [`k${String(i).padStart(2, '0')}`, n]));
    const back = roundTrip(at({ type: 'timerFired' }, [{ type: 'log', level: 'info', event: 'n', clientId: null, detail }]));
    const got = (back.commands![0] as Extract<HubCommand, { type: 'log' }>).detail;
    numbers.forEach((n, i) => expect(Object.is(got[`k${String(i).padStart(2, '0')}`], n)).toBe(true));
  });

  it('a detail key such as "__proto__" stays an ordinary own key', () => {
    const detail = JSON.parse('{"__proto__": 1}') as Record<string, number>;
    const back = roundTrip(at({ type: 'timerFired' }, [{ type: 'log', level: 'info', event: 'p', clientId: null, detail }]));
    const got = (back.commands![0] as Extract<HubCommand, { type: 'log' }>).detail;
    expect(Object.keys(got)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(got)).toBe(Object.prototype);
  });
});

describe('decoding errors', () => {
  const timer = encodeRecord({ seq: 1, now: 0, input: { type: 'timerFired' } }); // 01 01 00×8 0F 00

  it('empty, bad version, trailing bytes', () => {
    expect(decodeError(new Uint8Array(0))).toEqual({ code: 'empty', offset: 0 });
    for (const v of [0, 2, 0xff]) {
      const b = timer.slice();
      b[0] = v;
      expect(decodeError(b)).toEqual({ code: 'badVersion', offset: 0 });
    }
    const longer = new Uint8Array(timer.length + 1);
    longer.set(timer);
    expect(decodeError(longer)).toEqual({ code: 'trailingBytes', offset: timer.length });
    expect(decodeRecord('nope' as unknown as Uint8Array).ok).toBe(false);
  });

  it('truncated fields, unknown kinds and bad values name the offending field', () => {
    expect(decodeError(unhex('01 01 00 00'))).toEqual({ code: 'truncated', offset: 2 });
    expect(decodeError(unhex('01 80 00 00 00 00 00 00 00 00 00 0F 00'))).toEqual({ code: 'badValue', offset: 1 }); // overlong seq
    expect(decodeError(unhex('01 01 00 00 00 00 00 00 00 80 0F 00'))).toEqual({ code: 'badValue', offset: 2 }); // now below the safe range
    expect(decodeError(unhex('01 01 00 00 00 00 00 00 00 00 00 00'))).toEqual({ code: 'unknownKind', offset: 10 }); // input type 0
    expect(decodeError(unhex('01 01 00 00 00 00 00 00 00 00 10 00'))).toEqual({ code: 'unknownKind', offset: 10 }); // input type 16
    expect(decodeError(unhex('01 01 00 00 00 00 00 00 00 00 0F 02'))).toEqual({ code: 'badValue', offset: 11 }); // commands presence 2
    expect(decodeError(unhex('01 01 00 00 00 00 00 00 00 00 0F 01 01 09'))).toEqual({ code: 'unknownKind', offset: 13 }); // command type 9
  });

  it('a count larger than the bytes left fails before anything is allocated', () => {
    // commands count 2^53 - 1
    expect(decodeError(unhex('01 01 00 00 00 00 00 00 00 00 0F 01 FF FF FF FF FF FF FF 0F'))).toEqual({ code: 'truncated', offset: 12 });
    // a log detail announcing 2^32 - 1 entries
    expect(decodeError(unhex('01 01 00 00 00 00 00 00 00 00 0F 01 01 08 01 00 00 FF FF FF FF 0F'))).toEqual({ code: 'truncated', offset: 17 });
    // messagesReceived announcing 2^53 - 1 messages: refused after the first missing message, quickly
    expect(decodeError(unhex('01 01 00 00 00 00 00 00 00 00 02 00 FF FF FF FF FF FF FF 0F')).code).toBe('truncated');
    // a payload length past the end
    expect(decodeError(unhex('01 01 00 00 00 00 00 00 00 00 0D 00 01 01 00 FF FF FF FF 0F')).code).toBe('truncated');
  });

  it('credentials: unknown tag, truncated verifier', () => {
    const base = '01 01 00 00 00 00 00 00 00 00  01 00  03 01 01'; // requestReceived, link 0, resume, requestId 1, client 1
    expect(decodeError(unhex(`${base} 03`))).toEqual({ code: 'unknownKind', offset: 15 });
    expect(decodeError(unhex(`${base} 00`))).toEqual({ code: 'unknownKind', offset: 15 });
    expect(decodeError(unhex(`${base} 02 ${'AB '.repeat(31)}`))).toEqual({ code: 'truncated', offset: 16 });
    const ok = decodeRecord(unhex(`${base} 02 ${'AB '.repeat(32)} 00 00 00 00`));
    expect(ok.ok && ok.value.input).toEqual({
      type: 'requestReceived',
      link: 0,
      request: { kind: 'resume', requestId: 1, clientId: 1, credential: { verifier: 'ab'.repeat(32) }, lastReceived: 0 },
    });
  });

  it('values outside their field: a transport command, a rejection outcome, a NaN, a detail tag', () => {
    // commandFailed naming `commit`
    expect(decodeError(unhex('01 01 00 00 00 00 00 00 00 00 04 01 01 00 00 00'))).toEqual({ code: 'badValue', offset: 12 });
    // requestRejected with answer code ok
    expect(decodeError(unhex('01 01 00 00 00 00 00 00 00 00 0F 01 01 06 07 01 01 01'))).toEqual({ code: 'badValue', offset: 17 });
    // requestRejected with a reject reason beyond the table
    expect(decodeError(unhex('01 01 00 00 00 00 00 00 00 00 0F 01 01 06 07 01 01 02 0A'))).toEqual({ code: 'badValue', offset: 18 });
    // clientOffline with close reason 15 (beyond the table)
    expect(decodeError(unhex('01 01 00 00 00 00 00 00 00 00 0F 01 01 06 03 01 01 0F'))).toEqual({ code: 'badValue', offset: 17 });
    const log = '01 01 00 00 00 00 00 00 00 00 0F 01 01 08 02 00 00 01 01 6B';
    expect(decodeRecord(unhex(`${log} 04 00 00 00 00 00 00 F8 7F`)).ok).toBe(true);
    expect(decodeError(unhex(`${log} 04 01 00 00 00 00 00 F8 7F`))).toEqual({ code: 'badValue', offset: 21 });
    expect(decodeError(unhex(`${log} 04 00 00 00 00 00 00 F8 FF`))).toEqual({ code: 'badValue', offset: 21 });
    expect(decodeError(unhex(`${log} 06`))).toEqual({ code: 'unknownKind', offset: 20 });
    // detail keys out of order
    expect(decodeError(unhex('01 01 00 00 00 00 00 00 00 00 0F 01 01 08 02 00 00 02 01 62 01 01 61 01'))).toEqual({ code: 'badValue', offset: 21 });
    // invalid UTF-8 in a string
    expect(decodeError(unhex('01 01 00 00 00 00 00 00 00 00 03 00 01 FF 00'))).toEqual({ code: 'badUtf8', offset: 13 });
  });

  it('a message whose body type is unknown', () => {
    // messagesReceived link 0, one message: seq 1, ack 0, body type 10
    expect(decodeError(unhex('01 01 00 00 00 00 00 00 00 00 02 00 01 01 00 0A 00'))).toEqual({ code: 'unknownKind', offset: 15 });
    expect(decodeError(unhex('01 01 00 00 00 00 00 00 00 00 02 00 01 01 00 00 00'))).toEqual({ code: 'unknownKind', offset: 15 });
  });
});

describe('encoding errors', () => {
  it('refuses values without an encoding, naming the field', () => {
    expectUnencodable(null, 'record');
    expectUnencodable({ seq: -1, now: 0, input: { type: 'timerFired' } }, 'record.seq');
    expectUnencodable({ seq: 1.5, now: 0, input: { type: 'timerFired' } }, 'record.seq');
    expectUnencodable({ seq: 1, now: 0.5, input: { type: 'timerFired' } }, 'record.now');
    expectUnencodable({ seq: 1, now: NaN, input: { type: 'timerFired' } }, 'record.now');
    expectUnencodable({ seq: 1, now: 2 ** 53, input: { type: 'timerFired' } }, 'record.now');
    expectUnencodable({ seq: 1, now: 0, input: null }, 'input');
    expectUnencodable({ seq: 1, now: 0, input: { type: 'bogus' } }, 'input.type');
    expectUnencodable({ seq: 1, now: 0, input: { type: 'toString' } }, 'input.type');
    expectUnencodable({ seq: 1, now: 0, input: { type: 'timerFired' }, commands: 'x' }, 'record.commands');
    expectUnencodable({ seq: 1, now: 0, input: { type: 'timerFired' }, commands: [null] }, 'command');
    expectUnencodable({ seq: 1, now: 0, input: { type: 'timerFired' }, commands: [{ type: 'bogus' }] }, 'command.type');
    expectUnencodable(at({ type: 'connectionClosed', link: link(-1), cause: '' }), 'input.link');
    expectUnencodable(at({ type: 'connectionClosed', link: link(1), cause: 5 as unknown as string }), 'input.cause');
    expectUnencodable(at({ type: 'statusSet', actionId: 'a', clientId: cid(1), status: 'gone' as 'banned' }), 'input.status');
    expectUnencodable(at({ type: 'profileModeSet', actionId: 'a', profileId: pid(1.5), mode: 'auto' }), 'input.profileId');
    expectUnencodable(at({ type: 'profilePolicySet', actionId: 'a', profileId: pid(1), policy: 'newest' as 'seniority' }), 'input.policy');
    expectUnencodable(at({ type: 'commandFailed', commandId: cmd(1), command: 'commit' as 'close', link: link(1), reason: '' }), 'input.command');
    expectUnencodable(at({ type: 'appMessageSent', actionId: 'a', to: { clientId: cid(1) }, appType: 'x', payload: [1] as unknown as Uint8Array, replyTo: 0 }), 'input.payload');
    expectUnencodable(at({ type: 'appMessageSent', actionId: 'a', to: null as unknown as { clientId: ClientId }, appType: 'x', payload: new Uint8Array(0), replyTo: 0 }), 'input.to');
  });

  it('refuses credentials that are neither a string secret nor a 64-digit lower-case hex verifier', () => {
    const req = (credential: unknown): TraceRecord =>
      at({ type: 'requestReceived', link: link(1), request: { kind: 'sync', requestId: 1, clientId: cid(1), credential: credential as { secret: string }, lastReceived: 0 } });
    expectUnencodable(req({ verifier: VERIFIER.toUpperCase() }), 'request.credential.verifier');
    expectUnencodable(req({ verifier: VERIFIER.slice(1) }), 'request.credential.verifier');
    expectUnencodable(req({ verifier: `${VERIFIER.slice(1)}g` }), 'request.credential.verifier');
    expectUnencodable(req({ verifier: 7 }), 'request.credential.verifier');
    expectUnencodable(req({ secret: 7 }), 'request.credential.secret');
    expectUnencodable(req(null), 'request.credential');
    expectUnencodable(at({ type: 'requestReceived', link: link(1), request: { kind: 'profiles', requestId: 1, clientId: cid(1) }, issued: { verifier: 'x' } }), 'input.issued.verifier');
  });

  it('refuses requests, answers and messages whose integers are not safe non-negative integers', () => {
    expectUnencodable(at({ type: 'requestReceived', link: link(1), request: { kind: 'profiles', requestId: -1, clientId: cid(1) } }), 'request.requestId');
    expectUnencodable(at({ type: 'requestReceived', link: link(1), request: { kind: 'profiles', requestId: 1, clientId: cid(0.5) } }), 'request.clientId');
    expectUnencodable(at({ type: 'messagesReceived', link: link(1), messages: [{ seq: -1, ack: 0, body: { type: 'null', replyTo: 0 } }] }), 'message.seq');
    expectUnencodable(at({ type: 'messagesReceived', link: link(1), messages: [{ seq: 1, ack: NaN, body: { type: 'null', replyTo: 0 } }] }), 'message.ack');
    expectUnencodable(at({ type: 'messagesReceived', link: link(1), messages: [{ seq: 1, ack: 0, body: { type: 'app', appType: 'x', payload: new Uint8Array(0), replyTo: 2 ** 53 } }] }), 'message.body.replyTo');
    expectUnencodable(at({ type: 'messagesReceived', link: link(1), messages: [{ seq: 1, ack: 0, body: { type: 'bogus' } as never }] }), 'message.body.type');
    expectUnencodable(at({ type: 'messagesReceived', link: link(1), messages: [{ seq: 1, ack: 0, body: null as never }] }), 'message.body');
    expectUnencodable(at({ type: 'messagesReceived', link: link(1), messages: [null as unknown as never] }), 'message');
    expectUnencodable(at({ type: 'messagesReceived', link: link(1), messages: 'x' as unknown as [] }), 'input.messages');
    expectUnencodable(at({ type: 'timerFired' }, [{ type: 'reply', commandId: cmd(1), link: link(1), requestId: 1, answer: { code: 'invalidId', clientId: cid(-2) } }]), 'answer.clientId');
    expectUnencodable(at({ type: 'timerFired' }, [{ type: 'reply', commandId: cmd(1), link: link(1), requestId: 1, answer: null as never }]), 'answer');
  });

  it('refuses log details that are not strings, numbers, booleans or null', () => {
    const log = (detail: unknown): TraceRecord => at({ type: 'timerFired' }, [{ type: 'log', level: 'info', event: 'e', clientId: null, detail: detail as Record<string, null> }]);
    expectUnencodable(log({ a: undefined }), 'command.detail["a"]');
    expectUnencodable(log({ a: {} }), 'command.detail["a"]');
    expectUnencodable(log({ a: 1n }), 'command.detail["a"]');
    expectUnencodable(log(null), 'command.detail');
    expectUnencodable(log({ '\ud800': 1, '\ufffd': 2 }), 'command.detail');
    expectUnencodable(at({ type: 'timerFired' }, [{ type: 'log', level: 'loud' as 'info', event: 'e', clientId: null, detail: {} }]), 'command.level');
  });

  it('turns any other failure while reading the value into invalidInput', () => {
    const input = { type: 'connectionClosed', link: 1 } as Record<string, unknown>;
    Object.defineProperty(input, 'cause', {
      get() {
        throw new Error('boom');
      },
    });
    expectUnencodable({ seq: 1, now: 0, input }, 'record');
  });

  it('leaves the shared writer usable after a failure and after a huge record', () => {
    expectUnencodable({ seq: -1, now: 0, input: { type: 'timerFired' } });
    // Larger than the writer keeps between calls (64 KiB).
    const payload = Uint8Array.from({ length: 100_000 }, (_, i) => i & 0xff);
    const r = decodeRecord(encodeRecord(at({ type: 'appMessageSent', actionId: 'a', to: { clientId: cid(1) }, appType: 'x', payload, replyTo: 0 })));
    const back = r.ok && r.value.input.type === 'appMessageSent' ? r.value.input.payload : new Uint8Array(0);
    expect(back.length === payload.length && back.every((x, i) => x === payload[i])).toBe(true);
    pin({ seq: 1, now: 0, input: { type: 'timerFired' } }, '01 01 00 00 00 00 00 00 00 00 0F 00');
  });
});
