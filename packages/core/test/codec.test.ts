/**
 * Example tests of the wire codec: the byte layout of each frame kind is
 * written out literally (the layout is normative, docs/wire-format.md), and
 * each DecodeErrorCode is shown with its exact offset.
 */
import { describe, expect, it } from 'vitest';
import { HubUsageError } from '../src/errors.js';
import { clientId, profileId } from '../src/ids.js';
import {
  ANSWER_WIRE_CODES,
  CLIENT_STATUS_WIRE_CODES,
  CLOSE_REASON_WIRE_CODES,
  DEFAULT_CODEC_LIMITS,
  FRAME_KIND_WIRE_CODES,
  MANAGEMENT_MODE_WIRE_CODES,
  MESSAGE_TYPE_WIRE_CODES,
  REJECT_REASON_WIRE_CODES,
  REQUEST_KIND_WIRE_CODES,
  WIRE_VERSION,
  decodeFrame,
  encodeFrame,
  type DecodeErrorCode,
  type Frame,
} from '../src/protocol/codec.js';
import { ByteReader, ByteWriter } from '../src/protocol/bytes.js';
import { compareCodePoints, decodeUtf8, encodeUtf8 } from '../src/protocol/utf8.js';

const u8 = (...b: number[]): Uint8Array => new Uint8Array(b);

/** Encodes, checks the exact bytes, and checks that they decode back to the frame. */
function pin(frame: Frame, expected: Uint8Array): void {
  const bytes = encodeFrame(frame);
  expect(Array.from(bytes)).toEqual(Array.from(expected));
  expect(decodeFrame(expected)).toEqual({ ok: true, value: frame });
}

function decodeError(bytes: Uint8Array, limits?: Parameters<typeof decodeFrame>[1]): { code: DecodeErrorCode; offset: number } {
  const r = decodeFrame(bytes, limits);
  if (r.ok) throw new Error('expected a decode error');
  expect(typeof r.error.message).toBe('string');
  return { code: r.error.code, offset: r.error.offset };
}

describe('enumeration tables (part of the wire format: never renumber)', () => {
  it('pins every code', () => {
    expect(WIRE_VERSION).toBe(1);
    expect(FRAME_KIND_WIRE_CODES).toEqual({ request: 1, answer: 2, dialog: 3, close: 4 });
    expect(REQUEST_KIND_WIRE_CODES).toEqual({ register: 1, start: 2, resume: 3, sync: 4, login: 5, profiles: 6 });
    expect(ANSWER_WIRE_CODES).toEqual({ ok: 1, rejected: 2, invalidId: 3, invalidProfile: 4, reset: 5, profiles: 6 });
    expect(MESSAGE_TYPE_WIRE_CODES).toEqual({ sync: 1, null: 2, setInfo: 3, ok: 4, refused: 5, log: 6, close: 7, app: 8, ack: 9 });
    expect(REJECT_REASON_WIRE_CODES).toEqual({
      badCredentials: 1,
      disabled: 2,
      banned: 3,
      profileManual: 4,
      profileInUse: 5,
      alreadyOnline: 6,
      seniority: 7,
      linkBusy: 8,
      denied: 9,
    });
    expect(CLOSE_REASON_WIRE_CODES).toEqual({
      pushedOut: 1,
      replaced: 2,
      banned: 3,
      disabled: 4,
      reset: 5,
      deleted: 6,
      kicked: 7,
      heartbeatTimeout: 8,
      alreadyOnline: 9,
      refused: 10,
      closedByClient: 11,
      notLoggedIn: 12,
      shutdown: 13,
      busy: 14,
    });
    expect(CLIENT_STATUS_WIRE_CODES).toEqual({ enabled: 1, disabled: 2, banned: 3, reset: 4 });
    expect(MANAGEMENT_MODE_WIRE_CODES).toEqual({ auto: 1, manual: 2 });
  });
});

describe('byte layout', () => {
  it('request frame: login with an environment (keys sorted on the wire)', () => {
    pin(
      {
        kind: 'request',
        request: {
          kind: 'login',
          requestId: 300,
          clientId: clientId(0x01020304),
          credential: { secret: 'pw' },
          environment: { os: 'linux', arch: 'x64' },
          lastReceived: 5,
        },
      },
      u8(
        0x01, // version
        0x01, // frame kind: request
        0x05, // request kind: login
        0xac, 0x02, // requestId 300 (varuint)
        0x04, 0x03, 0x02, 0x01, // clientId u32 LE
        0x02, 0x70, 0x77, // credential: "pw"
        0x01, // environment present
        0x02, // 2 entries
        0x04, 0x61, 0x72, 0x63, 0x68, 0x03, 0x78, 0x36, 0x34, // "arch" = "x64"
        0x02, 0x6f, 0x73, 0x05, 0x6c, 0x69, 0x6e, 0x75, 0x78, // "os" = "linux"
        0x05, // lastReceived 5
      ),
    );
  });

  it('request frame: register', () => {
    pin(
      {
        kind: 'request',
        request: {
          kind: 'register',
          requestId: 0,
          clientId: clientId(1),
          profileId: profileId(0xffffffff),
          contact: { name: 'Zoë', phone: '', email: 'a' },
          environment: {},
        },
      },
      u8(
        0x01, 0x01, // version, request
        0x01, // register
        0x00, // requestId 0
        0x01, 0x00, 0x00, 0x00, // clientId 1
        0xff, 0xff, 0xff, 0xff, // profileId 2^32-1
        0x04, 0x5a, 0x6f, 0xc3, 0xab, // name "Zoë" (ë = C3 AB)
        0x00, // phone ""
        0x01, 0x61, // email "a"
        0x00, // environment: 0 entries
      ),
    );
  });

  it('answer frame: ok with a secret', () => {
    pin(
      {
        kind: 'answer',
        requestId: 7,
        answer: { code: 'ok', clientId: clientId(42), status: 'enabled', secret: 'é', lastReceived: 128, lastSent: 0 },
      },
      u8(
        0x01, 0x02, // version, answer
        0x07, // requestId 7
        0x01, // answer code: ok
        0x2a, 0x00, 0x00, 0x00, // clientId 42
        0x01, // status: enabled
        0x01, 0x02, 0xc3, 0xa9, // secret present: "é"
        0x80, 0x01, // lastReceived 128
        0x00, // lastSent 0
      ),
    );
  });

  it('answer frame: invalidProfile with a profile list', () => {
    pin(
      {
        kind: 'answer',
        requestId: 1,
        answer: { code: 'invalidProfile', clientId: clientId(9), profiles: [{ id: profileId(2), name: 'A', mode: 'manual' }] },
      },
      u8(
        0x01, 0x02, // version, answer
        0x01, // requestId 1
        0x04, // invalidProfile
        0x09, 0x00, 0x00, 0x00, // clientId 9
        0x01, // 1 profile
        0x02, 0x00, 0x00, 0x00, 0x01, 0x41, 0x02, // id 2, "A", manual
      ),
    );
  });

  it('dialog frame: log, app, bare ack, setInfo', () => {
    pin(
      {
        kind: 'dialog',
        clientId: clientId(5),
        messages: [
          { seq: 1, ack: 0, body: { type: 'log', at: -1, isError: true, text: 'hi' } },
          { seq: 2, ack: 3, body: { type: 'app', appType: 'x', payload: u8(0xde, 0xad), replyTo: 1 } },
          { seq: 0, ack: 9, body: { type: 'ack' } },
          { seq: 3, ack: 0, body: { type: 'setInfo', contact: { name: 'N', phone: '', email: '' }, clientId: 5 } },
        ],
      },
      u8(
        0x01, 0x03, // version, dialog
        0x05, 0x00, 0x00, 0x00, // clientId 5
        0x04, // 4 messages
        0x01, 0x00, 0x06, // seq 1, ack 0, log
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, // at = -1 (i64 LE)
        0x01, 0x02, 0x68, 0x69, // isError, "hi"
        0x02, 0x03, 0x08, // seq 2, ack 3, app
        0x01, 0x78, 0x02, 0xde, 0xad, 0x01, // appType "x", payload DE AD, replyTo 1
        0x00, 0x09, 0x09, // seq 0, ack 9, ack
        0x03, 0x00, 0x03, // seq 3, ack 0, setInfo
        0x01, 0x4e, 0x00, 0x00, // contact "N", "", ""
        0x01, 0x05, 0x00, 0x00, 0x00, // clientId present: 5
        0x00, // profileId absent
      ),
    );
  });

  it('close frame', () => {
    pin({ kind: 'close', reason: 'pushedOut', reconnect: false }, u8(0x01, 0x04, 0x01, 0x00));
    pin({ kind: 'close', reason: 'shutdown', reconnect: true }, u8(0x01, 0x04, 0x0d, 0x01));
  });

  it('log.at round-trips the extremes of the safe-integer range', () => {
    for (const at of [Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 0, 2 ** 32, -(2 ** 32) - 1]) {
      const frame: Frame = { kind: 'dialog', clientId: clientId(1), messages: [{ seq: 1, ack: 0, body: { type: 'log', at, isError: false, text: '' } }] };
      expect(decodeFrame(encodeFrame(frame))).toEqual({ ok: true, value: frame });
    }
    const max = encodeFrame({ kind: 'dialog', clientId: clientId(1), messages: [{ seq: 1, ack: 0, body: { type: 'log', at: Number.MAX_SAFE_INTEGER, isError: false, text: '' } }] });
    expect(Array.from(max.subarray(10, 18))).toEqual([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x1f, 0x00]);
  });

  it('decoded payloads are copies, not views into the input', () => {
    const bytes = encodeFrame({ kind: 'dialog', clientId: clientId(1), messages: [{ seq: 1, ack: 0, body: { type: 'app', appType: 't', payload: u8(1, 2, 3), replyTo: 0 } }] });
    const r = decodeFrame(bytes);
    if (!r.ok || r.value.kind !== 'dialog') throw new Error('expected a dialog frame');
    const body = r.value.messages[0]!.body;
    if (body.type !== 'app') throw new Error('expected an app body');
    expect(body.payload.buffer).not.toBe(bytes.buffer);
    bytes.fill(0);
    expect(Array.from(body.payload)).toEqual([1, 2, 3]);
  });

  it('payloads decoded from a Node Buffer are plain, unshared Uint8Arrays', () => {
    const bytes = Buffer.from(encodeFrame({ kind: 'dialog', clientId: clientId(1), messages: [{ seq: 1, ack: 0, body: { type: 'app', appType: 't', payload: u8(1, 2, 3), replyTo: 0 } }] }));
    const r = decodeFrame(bytes);
    if (!r.ok || r.value.kind !== 'dialog') throw new Error('expected a dialog frame');
    const body = r.value.messages[0]!.body;
    if (body.type !== 'app') throw new Error('expected an app body');
    expect(Object.getPrototypeOf(body.payload)).toBe(Uint8Array.prototype);
    bytes.fill(0);
    expect(Array.from(body.payload)).toEqual([1, 2, 3]);
  });

  it('setInfo without ids decodes without the optional keys', () => {
    const r = decodeFrame(encodeFrame({ kind: 'dialog', clientId: clientId(1), messages: [{ seq: 1, ack: 0, body: { type: 'setInfo', contact: { name: '', phone: '', email: '' } } }] }));
    if (!r.ok || r.value.kind !== 'dialog') throw new Error('expected a dialog frame');
    expect(Object.keys(r.value.messages[0]!.body)).toEqual(['type', 'contact']);
  });

  it('an environment key "__proto__" stays an own key', () => {
    const environment = Object.fromEntries([['__proto__', 'x']]);
    const frame: Frame = { kind: 'request', request: { kind: 'register', requestId: 1, clientId: clientId(1), profileId: profileId(1), contact: { name: '', phone: '', email: '' }, environment } };
    const r = decodeFrame(encodeFrame(frame));
    if (!r.ok || r.value.kind !== 'request' || r.value.request.kind !== 'register') throw new Error('expected a register request');
    expect(Object.keys(r.value.request.environment)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(r.value.request.environment)).toBe(Object.prototype);
  });
});

describe('decode errors: one per DecodeErrorCode', () => {
  it('empty', () => {
    expect(decodeError(u8())).toEqual({ code: 'empty', offset: 0 });
  });

  it('tooLarge: checked before the version byte is looked at', () => {
    expect(decodeError(new Uint8Array(11).fill(0xff), { maxFrameBytes: 10 })).toEqual({ code: 'tooLarge', offset: 10 });
    expect(decodeError(new Uint8Array(DEFAULT_CODEC_LIMITS.maxFrameBytes + 1))).toEqual({ code: 'tooLarge', offset: DEFAULT_CODEC_LIMITS.maxFrameBytes });
  });

  it('badVersion', () => {
    expect(decodeError(u8(0x02, 0x04, 0x01, 0x00))).toEqual({ code: 'badVersion', offset: 0 });
    expect(decodeError(u8(0x00))).toEqual({ code: 'badVersion', offset: 0 });
  });

  it('unknownKind: frame kind, request kind, answer code, message type', () => {
    expect(decodeError(u8(0x01, 0x05))).toEqual({ code: 'unknownKind', offset: 1 });
    expect(decodeError(u8(0x01, 0x00))).toEqual({ code: 'unknownKind', offset: 1 });
    expect(decodeError(u8(0x01, 0x01, 0x07, 0x00, 0x01, 0x00, 0x00, 0x00))).toEqual({ code: 'unknownKind', offset: 2 });
    expect(decodeError(u8(0x01, 0x02, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00))).toEqual({ code: 'unknownKind', offset: 3 });
    expect(decodeError(u8(0x01, 0x03, 0x01, 0x00, 0x00, 0x00, 0x01, 0x01, 0x00, 0x0a))).toEqual({ code: 'unknownKind', offset: 9 });
  });

  it('truncated: the offset is where the missing field starts', () => {
    expect(decodeError(u8(0x01))).toEqual({ code: 'truncated', offset: 1 });
    expect(decodeError(u8(0x01, 0x04, 0x01))).toEqual({ code: 'truncated', offset: 3 });
    // dialog clientId needs 4 bytes, 2 present
    expect(decodeError(u8(0x01, 0x03, 0x01, 0x00))).toEqual({ code: 'truncated', offset: 2 });
    // varuint with its continuation bit set on the last byte present
    expect(decodeError(u8(0x01, 0x02, 0x80))).toEqual({ code: 'truncated', offset: 2 });
    // resume: secret announces 5 bytes, 1 present
    expect(decodeError(u8(0x01, 0x01, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0x05, 0x61))).toEqual({ code: 'truncated', offset: 8 });
  });

  it('badValue: non-canonical or out-of-range values', () => {
    // close reason 0 and 15 are not in the table
    expect(decodeError(u8(0x01, 0x04, 0x00, 0x00))).toEqual({ code: 'badValue', offset: 2 });
    expect(decodeError(u8(0x01, 0x04, 0x0f, 0x00))).toEqual({ code: 'badValue', offset: 2 });
    // boolean 2
    expect(decodeError(u8(0x01, 0x04, 0x01, 0x02))).toEqual({ code: 'badValue', offset: 3 });
    // clientId 0
    expect(decodeError(u8(0x01, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00))).toEqual({ code: 'badValue', offset: 2 });
    // overlong varuint: requestId 0 written as 80 00
    expect(decodeError(u8(0x01, 0x02, 0x80, 0x00, 0x03, 0x01, 0x00, 0x00, 0x00))).toEqual({ code: 'badValue', offset: 2 });
    // requestId 2^32 (varuint 80 80 80 80 10) is outside u32
    expect(decodeError(u8(0x01, 0x02, 0x80, 0x80, 0x80, 0x80, 0x10, 0x03, 0x01, 0x00, 0x00, 0x00))).toEqual({ code: 'badValue', offset: 2 });
    // seq 0 with a sync body
    expect(decodeError(u8(0x01, 0x03, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x01))).toEqual({ code: 'badValue', offset: 7 });
    // ack body with seq 1
    expect(decodeError(u8(0x01, 0x03, 0x01, 0x00, 0x00, 0x00, 0x01, 0x01, 0x00, 0x09))).toEqual({ code: 'badValue', offset: 7 });
    // log.at = 2^53 (outside the safe range)
    expect(
      decodeError(u8(0x01, 0x03, 0x01, 0x00, 0x00, 0x00, 0x01, 0x01, 0x00, 0x06, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x20, 0x00, 0x00, 0x00)),
    ).toEqual({ code: 'badValue', offset: 10 });
    // environment keys duplicated ("a","a") and unsorted ("b","a")
    const register = (k1: number, k2: number): Uint8Array =>
      u8(0x01, 0x01, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x01, k1, 0x00, 0x01, k2, 0x00);
    expect(decodeFrame(register(0x61, 0x62)).ok).toBe(true);
    expect(decodeError(register(0x61, 0x61))).toEqual({ code: 'badValue', offset: 19 });
    expect(decodeError(register(0x62, 0x61))).toEqual({ code: 'badValue', offset: 19 });
  });

  it('badUtf8: the offset is the first byte of the bad sequence', () => {
    // resume with secret C0 80 (an overlong NUL)
    expect(decodeError(u8(0x01, 0x01, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02, 0xc0, 0x80, 0x00))).toEqual({ code: 'badUtf8', offset: 9 });
    // an encoded surrogate ED A0 80 after one good byte
    expect(decodeError(u8(0x01, 0x01, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0x04, 0x41, 0xed, 0xa0, 0x80, 0x00))).toEqual({ code: 'badUtf8', offset: 10 });
  });

  it('limitExceeded: counts and lengths are checked before use', () => {
    // 3 messages announced, limit 2: refused at the count, before any message is read
    expect(decodeError(u8(0x01, 0x03, 0x01, 0x00, 0x00, 0x00, 0x03), { maxMessages: 2 })).toEqual({ code: 'limitExceeded', offset: 6 });
    // a secret announcing 2^53-1 bytes
    expect(
      decodeError(u8(0x01, 0x01, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f)),
    ).toEqual({ code: 'limitExceeded', offset: 8 });
    // text limit in bytes: "éé" is 4 bytes
    const frame: Frame = { kind: 'request', request: { kind: 'sync', requestId: 0, clientId: clientId(1), credential: { secret: 'éé' }, lastReceived: 0 } };
    expect(decodeFrame(encodeFrame(frame), { maxTextBytes: 4 }).ok).toBe(true);
    expect(decodeError(encodeFrame(frame), { maxTextBytes: 3 })).toEqual({ code: 'limitExceeded', offset: 8 });
    // environment entries, payload bytes and profiles have their own limits
    const env: Frame = { kind: 'request', request: { kind: 'start', requestId: 0, clientId: clientId(1), credential: { secret: '' }, environment: { a: '', b: '' }, lastReceived: 0 } };
    expect(decodeError(encodeFrame(env), { maxEnvironmentEntries: 1 })).toEqual({ code: 'limitExceeded', offset: 9 });
    const app: Frame = { kind: 'dialog', clientId: clientId(1), messages: [{ seq: 1, ack: 0, body: { type: 'app', appType: '', payload: u8(1, 2), replyTo: 0 } }] };
    expect(decodeError(encodeFrame(app), { maxPayloadBytes: 1 })).toEqual({ code: 'limitExceeded', offset: 11 });
    const profiles: Frame = { kind: 'answer', requestId: 0, answer: { code: 'profiles', clientId: clientId(1), profiles: [{ id: profileId(1), name: '', mode: 'auto' }] } };
    expect(decodeError(encodeFrame(profiles), { maxProfiles: 0 })).toEqual({ code: 'limitExceeded', offset: 8 });
  });

  it('trailingBytes', () => {
    expect(decodeError(u8(0x01, 0x04, 0x01, 0x00, 0x00))).toEqual({ code: 'trailingBytes', offset: 4 });
  });

  it('the first error wins', () => {
    // clientId 0 (badValue at 2) comes before the truncated message list
    expect(decodeError(u8(0x01, 0x03, 0x00, 0x00, 0x00, 0x00, 0x05))).toEqual({ code: 'badValue', offset: 2 });
  });
});

describe('encode refuses values that have no encoding', () => {
  const expectInvalid = (frame: unknown): void => {
    let thrown: unknown;
    try {
      encodeFrame(frame as Frame);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(HubUsageError);
    expect((thrown as HubUsageError).code).toBe('invalidInput');
  };

  it('ids outside [1, 2^32)', () => {
    expectInvalid({ kind: 'dialog', clientId: 0, messages: [] });
    expectInvalid({ kind: 'dialog', clientId: 2 ** 32, messages: [] });
    expectInvalid({ kind: 'dialog', clientId: 1.5, messages: [] });
    expectInvalid({ kind: 'answer', requestId: -1, answer: { code: 'reset', clientId: 1 } });
    expectInvalid({ kind: 'answer', requestId: 2 ** 32, answer: { code: 'reset', clientId: 1 } });
  });

  it('a { verifier } credential', () => {
    expectInvalid({ kind: 'request', request: { kind: 'resume', requestId: 1, clientId: 1, credential: { verifier: 'ab' }, lastReceived: 0 } });
  });

  it('unknown enumeration strings', () => {
    expectInvalid({ kind: 'close', reason: 'bored', reconnect: false });
    expectInvalid({ kind: 'close', reason: 'toString', reconnect: false });
    expectInvalid({ kind: 'nope' });
    expectInvalid({ kind: 'answer', requestId: 1, answer: { code: 'ok', clientId: 1, status: 'sleepy', secret: null, lastReceived: 0, lastSent: 0 } });
    expectInvalid({ kind: 'dialog', clientId: 1, messages: [{ seq: 1, ack: 0, body: { type: 'shout' } }] });
  });

  it('the bare-ack rule and unsafe times', () => {
    expectInvalid({ kind: 'dialog', clientId: 1, messages: [{ seq: 0, ack: 0, body: { type: 'sync' } }] });
    expectInvalid({ kind: 'dialog', clientId: 1, messages: [{ seq: 1, ack: 0, body: { type: 'ack' } }] });
    expectInvalid({ kind: 'dialog', clientId: 1, messages: [{ seq: 1, ack: 0, body: { type: 'log', at: 2 ** 53, isError: false, text: '' } }] });
    expectInvalid({ kind: 'dialog', clientId: 1, messages: [{ seq: 1, ack: 0, body: { type: 'log', at: 0.5, isError: false, text: '' } }] });
  });

  it('a failed encode leaves the next one intact', () => {
    expectInvalid({ kind: 'dialog', clientId: 1, messages: [{ seq: 1, ack: 0, body: { type: 'sync' } }, { seq: 0, ack: 0, body: { type: 'sync' } }] });
    expect(Array.from(encodeFrame({ kind: 'close', reason: 'pushedOut', reconnect: false }))).toEqual([1, 4, 1, 0]);
  });

  it('a non-string environment value, named by its key, whether or not the keys are already in order', () => {
    for (const environment of [{ arch: 'x64', os: 7 }, { os: 7, arch: 'x64' }]) {
      const frame = { kind: 'request', request: { kind: 'register', requestId: 1, clientId: 1, profileId: 1, contact: { name: '', phone: '', email: '' }, environment } };
      expect(() => encodeFrame(frame as unknown as Frame)).toThrow(/environment\["os"\]/);
      expectInvalid(frame);
    }
  });

  it('environment keys that collide once lone surrogates become U+FFFD', () => {
    expectInvalid({
      kind: 'request',
      request: { kind: 'register', requestId: 1, clientId: 1, profileId: 1, contact: { name: '', phone: '', email: '' }, environment: { '\ud800': '', '\udc00': '' } },
    });
  });
});

describe('utf8', () => {
  it('encodes lone surrogates as U+FFFD and pairs as 4 bytes', () => {
    expect(Array.from(encodeUtf8('a\ud800b'))).toEqual([0x61, 0xef, 0xbf, 0xbd, 0x62]);
    expect(Array.from(encodeUtf8('\udc00'))).toEqual([0xef, 0xbf, 0xbd]);
    expect(Array.from(encodeUtf8('\u{1f600}'))).toEqual([0xf0, 0x9f, 0x98, 0x80]);
    expect(Array.from(encodeUtf8('\u{10ffff}'))).toEqual([0xf4, 0x8f, 0xbf, 0xbf]);
  });

  it('rejects overlongs, surrogates, code points above U+10FFFF and truncated sequences', () => {
    const bad: number[][] = [
      [0xc0, 0x80], // overlong NUL
      [0xc1, 0xbf], // overlong U+007F
      [0xe0, 0x9f, 0xbf], // overlong U+07FF
      [0xf0, 0x8f, 0xbf, 0xbf], // overlong U+FFFF
      [0xed, 0xa0, 0x80], // U+D800
      [0xed, 0xbf, 0xbf], // U+DFFF
      [0xf4, 0x90, 0x80, 0x80], // U+110000
      [0xf5, 0x80, 0x80, 0x80], // lead byte F5
      [0xff],
      [0x80], // stray continuation
      [0xe2, 0x82], // truncated
      [0xf0, 0x9f, 0x98], // truncated
      [0xe2, 0x28, 0xa1], // bad continuation
    ];
    for (const b of bad) expect(decodeUtf8(u8(...b)).ok, JSON.stringify(b)).toBe(false);
    expect(decodeUtf8(u8(0xef, 0xbb, 0xbf))).toEqual({ ok: true, value: '\ufeff' });
    expect(decodeUtf8(u8(0xee, 0x80, 0x80))).toEqual({ ok: true, value: '\ue000' });
  });

  it('decodes strings longer than its internal chunk', () => {
    const s = 'ab\u{1f600}é'.repeat(3000);
    expect(decodeUtf8(encodeUtf8(s))).toEqual({ ok: true, value: s });
  });

  it('short all-ASCII strings (a fast path up to 64 bytes) decode as the general decoder does, at every length around the limit', () => {
    for (let n = 0; n <= 70; n++) {
      const ascii = Array.from({ length: n }, (_, i) => String.fromCharCode(32 + ((i * 7) % 95))).join('');
      expect(decodeUtf8(encodeUtf8(ascii))).toEqual({ ok: true, value: ascii });
      // One non-ASCII character anywhere sends the string down the general path.
      if (n > 0) {
        const mixed = ascii.slice(0, n - 1) + 'é';
        expect(decodeUtf8(encodeUtf8(mixed))).toEqual({ ok: true, value: mixed });
      }
      // A bad byte at the end of a short string is still found, at its offset.
      const bad = new Uint8Array(n + 1).fill(0x61);
      bad[n] = 0x80;
      expect(decodeUtf8(bad)).toEqual({ ok: false, error: { offset: n, reason: expect.any(String) } });
    }
    // A range inside a larger array, as the reader decodes it.
    expect(decodeUtf8(u8(0xff, 0x68, 0x69, 0xff), 1, 3)).toEqual({ ok: true, value: 'hi' });
  });

  it('compares by code point (UTF-8 byte order), not by UTF-16 unit', () => {
    expect(compareCodePoints('\uffff', '\u{10000}')).toBeLessThan(0);
    expect('\uffff' < '\u{10000}').toBe(false);
    expect(compareCodePoints('a', 'ab')).toBeLessThan(0);
    expect(compareCodePoints('b', 'a')).toBeGreaterThan(0);
    expect(compareCodePoints('x', 'x')).toBe(0);
  });
});

describe('bytes', () => {
  it('varuint: shortest form, up to 2^53 - 1', () => {
    const w = new ByteWriter(16);
    for (const v of [0, 127, 128, 16383, 16384, 2 ** 31, 2 ** 32 - 1, Number.MAX_SAFE_INTEGER]) w.varuint(v);
    const bytes = w.toBytes();
    const r = new ByteReader(bytes);
    expect([0, 1, 2, 3, 4, 5, 6, 7].map(() => r.varuint())).toEqual([0, 127, 128, 16383, 16384, 2 ** 31, 2 ** 32 - 1, Number.MAX_SAFE_INTEGER]);
    expect(r.error).toBeUndefined();
    expect(r.remaining).toBe(0);
    expect(Array.from(bytes.subarray(bytes.length - 8))).toEqual([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f]);
  });

  it('varuint: 2^53 and 9-byte forms are refused', () => {
    const r1 = new ByteReader(u8(0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10));
    expect(r1.varuint()).toBe(0);
    expect(r1.error?.code).toBe('badValue');
    const r2 = new ByteReader(u8(0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01));
    r2.varuint();
    expect(r2.error?.code).toBe('badValue');
  });

  it('a failed read is sticky: later reads return neutral values and keep the first error', () => {
    const r = new ByteReader(u8(0x05));
    expect(r.u32('first')).toBe(0);
    expect(r.u8('second')).toBe(0);
    expect(r.string(10)).toBe('');
    expect(r.error).toEqual({ code: 'truncated', message: expect.stringContaining('first'), offset: 0 });
  });

  it('view: the bytes after a length, as a view into the input (no copy); empty on zero length or error', () => {
    const input = u8(0x03, 0x0a, 0x0b, 0x0c, 0x00, 0x05, 0x01);
    const r = new ByteReader(input);
    const v = r.view(10);
    expect(Array.from(v)).toEqual([0x0a, 0x0b, 0x0c]);
    expect(v.buffer).toBe(input.buffer);
    expect(r.view(10).length).toBe(0);
    expect(r.error).toBeUndefined();
    // A length of 5 with one byte left: truncated, sticky, and an empty view.
    expect(r.view(10).length).toBe(0);
    expect(r.error?.code).toBe('truncated');
    const limited = new ByteReader(u8(0x03, 1, 2, 3));
    expect(limited.view(2).length).toBe(0);
    expect(limited.error?.code).toBe('limitExceeded');
  });

  it('take: the written bytes, sharing the buffer only when at least 3/4 of it is used', () => {
    const full = new ByteWriter(16);
    for (let i = 0; i < 12; i++) full.u8(i);
    const shared = full.take();
    expect(Array.from(shared)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(shared.buffer.byteLength).toBe(16);
    const sparse = new ByteWriter(16);
    for (let i = 0; i < 11; i++) sparse.u8(i);
    const copied = sparse.take();
    expect(copied.length).toBe(11);
    expect(copied.buffer.byteLength).toBe(11);
  });

  it('from 16 MiB the writer grows by half, not by doubling', () => {
    const w = new ByteWriter(1 << 24);
    w.bytes(new Uint8Array((1 << 24) - 4).fill(9));
    expect(w.capacity).toBe(1 << 24);
    w.u32(1);
    expect(w.capacity).toBe(3 << 23);
    const bytes = w.take();
    expect(bytes.length).toBe((1 << 24) + 4);
    expect(bytes[5]).toBe(9);
    expect(bytes.buffer.byteLength).toBe((1 << 24) + 4); // under 3/4 of the buffer used: a right-sized copy
  });

  it('the writer grows by doubling and keeps what was written', () => {
    const w = new ByteWriter(16);
    const big = new Uint8Array(1000).map((_, i) => i & 0xff);
    w.u8(7);
    w.bytes(big);
    expect(w.capacity).toBe(1024);
    const r = new ByteReader(w.toBytes());
    expect(r.u8()).toBe(7);
    expect(Array.from(r.bytes(2000))).toEqual(Array.from(big));
  });
});

describe('client id 0 on the wire (B25)', () => {
  const contact = { name: 'n', phone: '', email: '' };
  it('a registration may name id 0, and the invalidId answer to it round-trips', () => {
    const request: Frame = { kind: 'request', request: { kind: 'register', requestId: 1, clientId: clientId(0), profileId: profileId(1), contact, environment: {} } };
    expect(decodeFrame(encodeFrame(request))).toEqual({ ok: true, value: request });
    const answer: Frame = { kind: 'answer', requestId: 1, answer: { code: 'invalidId', clientId: clientId(0) } };
    expect(decodeFrame(encodeFrame(answer))).toEqual({ ok: true, value: answer });
  });

  it('every other request and answer still refuses id 0', () => {
    const start = encodeFrame({ kind: 'request', request: { kind: 'resume', requestId: 1, clientId: clientId(5), credential: { secret: 's' }, lastReceived: 0 } });
    const zeroed = start.slice();
    zeroed.set([0, 0, 0, 0], 4); // version, kind, request kind, requestId varuint (1 byte), then the u32 client id
    const r = decodeFrame(zeroed);
    expect(r.ok).toBe(false);
    expect(() => encodeFrame({ kind: 'answer', requestId: 1, answer: { code: 'reset', clientId: clientId(0) } })).toThrow(/answer\.clientId/);
  });
});
