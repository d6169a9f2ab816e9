/**
 * Properties of the trace record codec: round trip for arbitrary records of
 * every input and command variant (and for every record of simulated hub
 * runs), totality of the decoder on arbitrary and mutated bytes, refusal of
 * every strict prefix and extension, and canonical encoding (any payload the
 * decoder accepts is exactly what the encoder writes for the value it
 * decodes to). The mutation properties lean on `messagesReceived` records so
 * that the decoder's fast path meets corrupt bytes too.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import type { HubCommand, HubEvent, LogDetail } from '../src/commands.js';
import type { ClientId, CommandId, LinkId, ProfileId } from '../src/ids.js';
import type { HubInput } from '../src/inputs.js';
import { POLICIES, type Policy } from '../src/model.js';
import { decodeRecord, encodeRecord, type TraceRecord } from '../src/protocol/trace-codec.js';
import { redactCommand, redactInput } from '../src/redact.js';
import { REJECT_REASONS, type Credential, type Request } from '../src/requests.js';
import {
  arbAnswer,
  arbClientStatus,
  arbCloseReason,
  arbDialogMessage,
  arbManagementMode,
  arbMessageBodyOfType,
  arbRequest,
  arbSeq,
  arbText,
  arbU32,
} from './arbitraries.js';
import { arbScenario, runActions } from './hub-arbitraries.js';

// --- Arbitraries -----------------------------------------------------------

/** A trace-owned integer (id, link, command id, seq): small, u32-sized, or up to 2^53 - 1. */
const arbNat: fc.Arbitrary<number> = fc.oneof(
  { weight: 4, arbitrary: fc.nat({ max: 300 }) },
  { weight: 2, arbitrary: arbU32 },
  { weight: 1, arbitrary: fc.maxSafeNat() },
);
const arbLink = arbNat.map((n) => n as LinkId);
const arbCid = arbNat.map((n) => n as ClientId);
const arbPid = arbNat.map((n) => n as ProfileId);
const arbCommandId = arbNat.map((n) => n as CommandId);
const arbActionId = arbText;
const arbPolicy: fc.Arbitrary<Policy> = fc.constantFrom(...POLICIES);
const arbPolicyOrNull: fc.Arbitrary<Policy | null> = fc.option(arbPolicy, { nil: null });
const arbPayload = fc.uint8Array({ maxLength: 80 });

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
/** A verifier: 64 lower-case hex digits. */
const arbVerifier: fc.Arbitrary<string> = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Array.from(b, (x) => HEX[x]).join(''));
/** A record credential: a raw secret or a verifier. */
const arbTraceCredential: fc.Arbitrary<Credential> = fc.oneof(
  arbText.map((secret) => ({ secret })),
  arbVerifier.map((verifier) => ({ verifier })),
);
/** Any request, its credential (if it has one) either kind. */
const arbTraceRequest: fc.Arbitrary<Request> = fc
  .tuple(arbRequest, arbTraceCredential)
  .map(([r, credential]) => ('credential' in r ? ({ ...r, credential } as Request) : r));

/** A batch the fast path can take (app messages with printable ASCII types, acks, keep-alives...) most of the time. */
const arbMessages = fc.array(arbDialogMessage, { maxLength: 6 });
const arbFastMessages = fc.array(
  fc.oneof(
    {
      weight: 6,
      arbitrary: fc.record({
        seq: arbSeq,
        ack: arbU32,
        body: fc.record({ type: fc.constant('app' as const), appType: fc.constantFrom('chat', 'x', '', 'order.v2'), payload: arbPayload, replyTo: arbU32 }),
      }),
    },
    { weight: 2, arbitrary: fc.record({ seq: fc.constant(0), ack: arbU32, body: arbMessageBodyOfType.ack }) },
    { weight: 1, arbitrary: fc.record({ seq: arbSeq, ack: arbU32, body: fc.oneof(arbMessageBodyOfType.null, arbMessageBodyOfType.ok, arbMessageBodyOfType.sync, arbMessageBodyOfType.close) }) },
    { weight: 1, arbitrary: arbDialogMessage },
  ),
  { maxLength: 4 },
);

/** Each input type on its own, optional fields sometimes absent. */
const arbInputOfType = {
  requestReceived: fc.record(
    { type: fc.constant('requestReceived' as const), link: arbLink, request: arbTraceRequest, issued: arbTraceCredential, denied: fc.boolean() },
    { requiredKeys: ['type', 'link', 'request'] },
  ),
  messagesReceived: fc.record({ type: fc.constant('messagesReceived' as const), link: arbLink, messages: fc.oneof(arbMessages, arbFastMessages) }),
  connectionClosed: fc.record({ type: fc.constant('connectionClosed' as const), link: arbLink, cause: arbText }),
  commandFailed: fc.record({
    type: fc.constant('commandFailed' as const),
    commandId: arbCommandId,
    command: fc.constantFrom('reply' as const, 'writeDialog' as const, 'close' as const),
    link: arbLink,
    reason: arbText,
  }),
  profileCreated: fc.record(
    { type: fc.constant('profileCreated' as const), actionId: arbActionId, profileId: arbPid, name: arbText, mode: arbManagementMode, policy: arbPolicyOrNull },
    { requiredKeys: ['type', 'actionId', 'profileId', 'name'] },
  ),
  profileRenamed: fc.record({ type: fc.constant('profileRenamed' as const), actionId: arbActionId, profileId: arbPid, name: arbText }),
  profileRemoved: fc.record({ type: fc.constant('profileRemoved' as const), actionId: arbActionId, profileId: arbPid }),
  profileModeSet: fc.record({ type: fc.constant('profileModeSet' as const), actionId: arbActionId, profileId: arbPid, mode: arbManagementMode }),
  profilePolicySet: fc.record({ type: fc.constant('profilePolicySet' as const), actionId: arbActionId, profileId: arbPid, policy: arbPolicyOrNull }),
  statusSet: fc.record({ type: fc.constant('statusSet' as const), actionId: arbActionId, clientId: arbCid, status: arbClientStatus }),
  clientKicked: fc.record({ type: fc.constant('clientKicked' as const), actionId: arbActionId, clientId: arbCid }),
  clientDeleted: fc.record({ type: fc.constant('clientDeleted' as const), actionId: arbActionId, clientId: arbCid }),
  appMessageSent: fc.record({
    type: fc.constant('appMessageSent' as const),
    actionId: arbActionId,
    to: fc.oneof(fc.record({ clientId: arbCid }), fc.record({ profileId: arbPid })),
    appType: arbText,
    payload: arbPayload,
    replyTo: arbNat,
  }),
  appMessageHandled: fc.record({ type: fc.constant('appMessageHandled' as const), clientId: arbCid, seq: arbNat }),
  timerFired: fc.constant({ type: 'timerFired' as const }),
} satisfies { readonly [K in HubInput['type']]: fc.Arbitrary<Extract<HubInput, { type: K }>> };

const arbInput: fc.Arbitrary<HubInput> = fc.oneof(...Object.values(arbInputOfType));

/** Each event type on its own. */
const arbEventOfType = {
  clientRegistered: fc.record({ type: fc.constant('clientRegistered' as const), clientId: arbCid, profileId: arbPid }),
  clientOnline: fc.record({ type: fc.constant('clientOnline' as const), clientId: arbCid, link: arbLink, via: arbRequest.map((r) => r.kind) }),
  clientOffline: fc.record({
    type: fc.constant('clientOffline' as const),
    clientId: arbCid,
    link: arbLink,
    reason: fc.oneof(arbCloseReason, fc.constant('connectionLost' as const)),
  }),
  takeover: fc.record({
    type: fc.constant('takeover' as const),
    profileId: arbPid,
    conflict: fc.constantFrom('sameClient' as const, 'otherClient' as const),
    winner: arbCid,
    loser: arbCid,
    reason: arbCloseReason,
  }),
  statusChanged: fc.record({
    type: fc.constant('statusChanged' as const),
    clientId: arbCid,
    from: arbClientStatus,
    to: arbClientStatus,
    cause: fc.constantFrom('request' as const, 'operator' as const),
  }),
  profileChanged: fc.record({
    type: fc.constant('profileChanged' as const),
    profileId: arbPid,
    change: fc.constantFrom('created' as const, 'renamed' as const, 'removed' as const, 'mode' as const, 'policy' as const),
    mode: arbManagementMode,
    policy: arbPolicyOrNull,
  }),
  requestRejected: fc.record({
    type: fc.constant('requestRejected' as const),
    clientId: arbCid,
    request: arbRequest.map((r) => r.kind),
    reason: fc.constantFrom(...REJECT_REASONS, 'invalidId' as const, 'invalidProfile' as const, 'reset' as const),
  }),
  clientDeleted: fc.record({ type: fc.constant('clientDeleted' as const), clientId: arbCid }),
} satisfies { readonly [K in HubEvent['type']]: fc.Arbitrary<Extract<HubEvent, { type: K }>> };

/** Any JS number: doubles (NaN, -0, infinities, subnormals) and safe integers. */
const arbNumber: fc.Arbitrary<number> = fc.oneof(fc.double(), fc.maxSafeInteger(), fc.constantFrom(0, -0, NaN, Infinity, -Infinity, Number.MIN_VALUE));
/**
 * A log detail; keys include "__proto__" now and then. (Not "constructor":
 * vitest's strict equality compares `a.constructor === b.constructor`, which
 * a NaN value there fails; trace-codec.test.ts covers that key.)
 */
const arbDetail: fc.Arbitrary<LogDetail> = fc.dictionary(
  fc.oneof({ weight: 9, arbitrary: arbText }, { weight: 1, arbitrary: fc.constantFrom('__proto__', 'toString', 'hasOwnProperty') }),
  fc.oneof(arbText, arbNumber, fc.boolean(), fc.constant(null)),
  { maxKeys: 6, noNullPrototype: true },
);

/** Each command type on its own. */
const arbCommandOfType = {
  commit: fc.constant({ type: 'commit' as const }),
  reply: fc.record({ type: fc.constant('reply' as const), commandId: arbCommandId, link: arbLink, requestId: arbU32, answer: arbAnswer }),
  writeDialog: fc.record({ type: fc.constant('writeDialog' as const), commandId: arbCommandId, link: arbLink, clientId: arbCid, messages: arbMessages }),
  close: fc.record({
    type: fc.constant('close' as const),
    commandId: arbCommandId,
    link: arbLink,
    clientId: fc.option(arbCid, { nil: null }),
    reason: arbCloseReason,
    reconnect: fc.boolean(),
  }),
  deliver: fc.record({ type: fc.constant('deliver' as const), clientId: arbCid, seq: arbNat, appType: arbText, payload: arbPayload, replyTo: arbNat }),
  notify: fc.record({ type: fc.constant('notify' as const), event: fc.oneof(...Object.values(arbEventOfType)) }),
  actionResult: fc.record({
    type: fc.constant('actionResult' as const),
    actionId: arbActionId,
    ok: fc.boolean(),
    reason: fc.option(arbText, { nil: null }),
    message: arbText,
  }),
  log: fc.record({
    type: fc.constant('log' as const),
    level: fc.constantFrom('debug' as const, 'info' as const, 'warn' as const, 'error' as const),
    event: arbText,
    clientId: fc.option(arbCid, { nil: null }),
    detail: arbDetail,
  }),
} satisfies { readonly [K in HubCommand['type']]: fc.Arbitrary<Extract<HubCommand, { type: K }>> };

const arbCommand: fc.Arbitrary<HubCommand> = fc.oneof(...Object.values(arbCommandOfType));

/** Any record: commands present (possibly empty) or absent. */
const arbRecord: fc.Arbitrary<TraceRecord> = fc.record(
  { seq: arbNat, now: fc.maxSafeInteger(), input: arbInput, commands: fc.array(arbCommand, { maxLength: 5 }) },
  { requiredKeys: ['seq', 'now', 'input'] },
);

/** A journal-like record of the hot kind: `messagesReceived`, no commands. */
const arbHotRecord: fc.Arbitrary<TraceRecord> = fc.record({ seq: arbNat, now: fc.maxSafeInteger(), input: arbInputOfType.messagesReceived });

// --- Helpers ---------------------------------------------------------------

/**
 * `v` with every object re-created with the ordinary prototype (fast-check
 * records sometimes have none), so that `toStrictEqual` compares exactly the
 * own keys and values: an absent optional field must decode absent.
 */
function plain(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(plain);
  if (typeof v !== 'object' || v === null || v instanceof Uint8Array) return v;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(v)) Object.defineProperty(out, key, { value: plain((v as Record<string, unknown>)[key]), enumerable: true, writable: true, configurable: true });
  return out;
}

/** Encodes, decodes, and checks the result has exactly the record's own keys and values. */
function expectRoundTrip(record: TraceRecord): void {
  expect(decodeRecord(encodeRecord(record))).toStrictEqual({ ok: true, value: plain(record) });
}

/** Decodes and, when the bytes are accepted, checks that they are the canonical encoding of what they decode to. */
function decodeIsTotalAndCanonical(bytes: Uint8Array): void {
  const r = decodeRecord(bytes);
  expect(typeof r.ok).toBe('boolean');
  if (r.ok) {
    expect(Array.from(encodeRecord(r.value))).toEqual(Array.from(bytes));
  } else {
    expect(typeof r.error.code).toBe('string');
    expect(r.error.offset).toBeGreaterThanOrEqual(0);
    expect(r.error.offset).toBeLessThanOrEqual(bytes.length);
  }
}

type Mutation =
  | { readonly op: 'flip'; readonly at: number; readonly bit: number }
  | { readonly op: 'set'; readonly at: number; readonly byte: number }
  | { readonly op: 'insert'; readonly at: number; readonly byte: number }
  | { readonly op: 'delete'; readonly at: number }
  | { readonly op: 'truncate'; readonly at: number }
  /** Re-encodes a byte below 0x80 as a two-byte form (byte | 0x80, 0x00): an overlong varuint if it ended one. */
  | { readonly op: 'pad'; readonly at: number };

const arbMutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ op: fc.constant('set' as const), at: fc.nat(), byte: fc.constantFrom(0x00, 0x01, 0x02, 0x7f, 0x80, 0xff, 0xc0, 0xed, 0xf8) }),
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ op: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('pad' as const), at: fc.nat() }),
);

function mutate(input: Uint8Array, mutations: readonly Mutation[]): Uint8Array {
  let b = input;
  for (const m of mutations) {
    const n = b.length;
    switch (m.op) {
      case 'flip':
        if (n > 0) {
          b = b.slice();
          b[m.at % n]! ^= 1 << m.bit;
        }
        break;
      case 'set':
        if (n > 0) {
          b = b.slice();
          b[m.at % n] = m.byte;
        }
        break;
      case 'insert': {
        const i = m.at % (n + 1);
        const out = new Uint8Array(n + 1);
        out.set(b.subarray(0, i));
        out[i] = m.byte;
        out.set(b.subarray(i), i + 1);
        b = out;
        break;
      }
      case 'delete':
        if (n > 0) {
          const i = m.at % n;
          const out = new Uint8Array(n - 1);
          out.set(b.subarray(0, i));
          out.set(b.subarray(i + 1), i);
          b = out;
        }
        break;
      case 'truncate':
        b = b.slice(0, m.at % (n + 1));
        break;
      case 'pad':
        if (n > 0 && b[m.at % n]! < 0x80) {
          const i = m.at % n;
          const out = new Uint8Array(n + 1);
          out.set(b.subarray(0, i + 1));
          out[i] = b[i]! | 0x80;
          out[i + 1] = 0;
          out.set(b.subarray(i + 1), i + 2);
          b = out;
        }
        break;
    }
  }
  return b;
}

// --- Properties ------------------------------------------------------------

describe('trace codec properties', () => {
  test.prop([arbRecord], { numRuns: 1500 })('decode(encode(r)) strictly equals r', (record) => {
    expectRoundTrip(record);
  });

  test.prop([arbHotRecord], { numRuns: 1000 })('hot messagesReceived records round-trip (the fast path)', (record) => {
    expectRoundTrip(record);
  });

  test.prop([arbRecord])('encoding is deterministic and the result is not shared', (record) => {
    const a = encodeRecord(record);
    const b = encodeRecord(record);
    expect(a).not.toBe(b);
    expect(Array.from(a)).toEqual(Array.from(b));
  });

  test.prop([fc.uint8Array({ maxLength: 2048 })], { numRuns: 500 })('decodeRecord never throws on arbitrary bytes', (bytes) => {
    decodeIsTotalAndCanonical(bytes);
  });

  test.prop([arbNat, fc.maxSafeInteger(), fc.integer({ min: 0, max: 17 }), fc.uint8Array({ maxLength: 96 })], { numRuns: 3000 })(
    'bytes behind a valid header (version, seq, now, input type): never throws, and anything accepted is canonical',
    (seq, now, type, tail) => {
      const header = encodeRecord({ seq, now, input: { type: 'timerFired' } });
      const bytes = new Uint8Array(header.length - 2 + 1 + tail.length);
      bytes.set(header.subarray(0, header.length - 2));
      bytes[header.length - 2] = type;
      bytes.set(tail, header.length - 1);
      decodeIsTotalAndCanonical(bytes);
    },
  );

  test.prop([arbRecord, fc.array(arbMutation, { minLength: 1, maxLength: 4 })], { numRuns: 2000 })(
    'mutated encodings (bit flips, byte sets, insertions, deletions, truncations, overlong padding): never throws, and anything accepted is canonical',
    (record, mutations) => {
      decodeIsTotalAndCanonical(mutate(encodeRecord(record), mutations));
    },
  );

  test.prop([arbHotRecord, fc.array(arbMutation, { minLength: 1, maxLength: 3 })], { numRuns: 3000 })(
    'mutated hot records: never throws, and anything accepted is canonical',
    (record, mutations) => {
      decodeIsTotalAndCanonical(mutate(encodeRecord(record), mutations));
    },
  );

  test.prop([fc.oneof(arbRecord, arbHotRecord)], { numRuns: 300 })('every strict prefix of a valid encoding is refused', (record) => {
    const bytes = encodeRecord(record);
    for (let n = 0; n < bytes.length; n++) {
      expect(decodeRecord(bytes.subarray(0, n)).ok).toBe(false);
    }
  });

  test.prop([fc.oneof(arbRecord, arbHotRecord), fc.uint8Array({ minLength: 1, maxLength: 8 })])('any extension of a valid encoding is refused', (record, extra) => {
    const bytes = encodeRecord(record);
    const longer = new Uint8Array(bytes.length + extra.length);
    longer.set(bytes);
    longer.set(extra, bytes.length);
    const r = decodeRecord(longer);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatchObject({ code: 'trailingBytes', offset: bytes.length });
  });

  test.prop([arbScenario(60)], { numRuns: 60 })(
    'every step of a simulated hub run round-trips, as a trace record (with commands) and as a redacted journal record',
    (scenario) => {
      let seq = 0;
      runActions(scenario.universe, [...scenario.setup, ...scenario.actions], ({ input, now, result }) => {
        seq++;
        expectRoundTrip({ seq, now, input, commands: result.commands });
        expectRoundTrip({ seq, now, input: redactInput(input) });
        expectRoundTrip({ seq, now, input: redactInput(input), commands: result.commands.map(redactCommand) });
      });
    },
  );
});
