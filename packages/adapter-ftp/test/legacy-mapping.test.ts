/**
 * The mapping between the legacy Hub protocol and dialoghub's model
 * (src/legacy/mapping.ts, docs/adapters/ftp-legacy.md §7): what maps, with
 * which losses, and what is refused as unmappable instead of guessed.
 */
import { fc, test as propTest } from '@fast-check/vitest';
import { describe, expect, test } from 'vitest';
import { clientId, profileId, type Answer, type Credential, type DialogMessage, type Request } from '@dialoghub/core';
import {
  LEGACY_ENVIRONMENT_KEYS,
  UNIX_EPOCH_TICKS,
  answerToLegacyAnswer,
  environmentToLegacyEnvironment,
  legacyAnswerToAnswer,
  legacyDialogToMessage,
  legacyEnvironmentToEnvironment,
  legacyRequestToRequest,
  legacyStatusToStatus,
  messageToLegacyDialog,
  profileSummariesToLegacy,
  statusToLegacyStatus,
  type LegacyClientEnvironment,
  type LegacyClientInfo,
  type LegacyDialogEntry,
  type LegacyMapping,
} from '../src/legacy/index.js';

const INFO: LegacyClientInfo = { clientId: 0x1a2b, profileId: 7, contactName: 'Amine', contactPhone: '021', contactEmail: 'a@example.dz' };
const ENV: LegacyClientEnvironment = {
  architecture: 'win7sp1x64',
  is64BitOperatingSystem: true,
  userName: 'agent',
  machineName: 'PC-07',
  osVersion: 'Windows NT 6.1',
  hubVersion: '1.4.0.0',
};
const SECRET: Credential = { secret: 'held-by-the-adapter' };
const T = UNIX_EPOCH_TICKS + 1_522_540_800_000n * 10_000n + 1234n; // 2018-04-01 plus 123.4 µs

function value<T>(m: LegacyMapping<T>): T {
  if (m.type !== 'mapped') throw new Error(`expected mapped, got ${JSON.stringify(m)}`);
  return m.value;
}

function lostFields<T>(m: LegacyMapping<T>): string[] {
  return m.type === 'mapped' ? m.losses.map((l) => l.field) : [];
}

describe('statuses and environments', () => {
  test('the four statuses match one to one (Reseted is reset)', () => {
    for (const s of ['enabled', 'disabled', 'banned', 'reset'] as const) {
      expect(legacyStatusToStatus(s)).toBe(s);
      expect(statusToLegacyStatus(s)).toBe(s);
    }
  });

  test('a legacy environment becomes six named entries, and back', () => {
    const env = legacyEnvironmentToEnvironment(ENV);
    expect(env).toEqual({
      hubArchitecture: 'win7sp1x64',
      is64BitOperatingSystem: 'true',
      userName: 'agent',
      machineName: 'PC-07',
      osVersion: 'Windows NT 6.1',
      hubVersion: '1.4.0.0',
    });
    expect(Object.keys(env)).toEqual([...LEGACY_ENVIRONMENT_KEYS]);
    expect(environmentToLegacyEnvironment(env)).toEqual({ type: 'mapped', value: ENV, losses: [] });
  });

  test('an open dialoghub environment does not fit six fixed fields', () => {
    const env = legacyEnvironmentToEnvironment(ENV);
    expect(environmentToLegacyEnvironment({ ...env, locale: 'fr-DZ' })).toMatchObject({ type: 'unmappable', reason: 'environmentShape', field: 'environment.locale' });
    const { osVersion: _dropped, ...missing } = env;
    expect(environmentToLegacyEnvironment(missing)).toMatchObject({ type: 'unmappable', reason: 'environmentShape', field: 'environment.osVersion' });
    expect(environmentToLegacyEnvironment({ ...env, hubArchitecture: 'linux' })).toMatchObject({ reason: 'environmentShape', field: 'environment.hubArchitecture' });
    expect(environmentToLegacyEnvironment({ ...env, hubArchitecture: 'toString' })).toMatchObject({ reason: 'environmentShape' });
    expect(environmentToLegacyEnvironment({ ...env, is64BitOperatingSystem: 'yes' })).toMatchObject({ reason: 'environmentShape' });
  });

  test('profiles go to profiles.gov without their management mode', () => {
    const m = profileSummariesToLegacy([{ id: profileId(3), name: 'Agent', mode: 'manual' }]);
    expect(value(m)).toEqual([{ profileId: 3, name: 'Agent', privilege: 'default' }]);
    expect(lostFields(m)).toEqual(['profiles[].mode']);
    expect(profileSummariesToLegacy([{ id: profileId(3), name: '\u3000', mode: 'auto' }])).toMatchObject({ type: 'unmappable', reason: 'outOfRange', field: 'profiles[0].name' });
  });
});

describe('connection requests', () => {
  test('NewConnection → register (no credential needed: the shell issues the secret)', () => {
    const m = legacyRequestToRequest(12, { type: 'newConnection', info: INFO, environment: ENV }, null);
    const expected: Request = {
      kind: 'register',
      requestId: 12,
      clientId: clientId(0x1a2b),
      profileId: profileId(7),
      contact: { name: 'Amine', phone: '021', email: 'a@example.dz' },
      environment: legacyEnvironmentToEnvironment(ENV),
    };
    expect(m).toEqual({ type: 'mapped', value: expected, losses: [] });
  });

  test('Start → start, with lastReceived 0; the client start time is dropped', () => {
    const m = legacyRequestToRequest(13, { type: 'start', clientId: 0x1a2b, environment: ENV, startTime: T }, SECRET);
    expect(value(m)).toEqual({
      kind: 'start',
      requestId: 13,
      clientId: clientId(0x1a2b),
      credential: SECRET,
      environment: legacyEnvironmentToEnvironment(ENV),
      lastReceived: 0,
    });
    expect(lostFields(m)).toEqual(['startTime', 'lastReceived']);
  });

  test('Resume → resume; cnx Sync → sync with lastReceived = the last governor message seen', () => {
    expect(value(legacyRequestToRequest(14, { type: 'resume', clientId: 9 }, SECRET))).toEqual({
      kind: 'resume',
      requestId: 14,
      clientId: clientId(9),
      credential: SECRET,
      lastReceived: 0,
    });
    const sync = legacyRequestToRequest(15, { type: 'sync', clientId: 9, lastServerMessageId: 41, lastClientMessageId: 17 }, SECRET);
    expect(value(sync)).toEqual({ kind: 'sync', requestId: 15, clientId: clientId(9), credential: SECRET, lastReceived: 41 });
    expect(lostFields(sync)).toEqual(['lastClientMessageId']);
  });

  test('without a credential, start, resume and sync are unmappable: the legacy protocol has no secret', () => {
    for (const payload of [
      { type: 'start', clientId: 9, environment: ENV, startTime: T },
      { type: 'resume', clientId: 9 },
      { type: 'sync', clientId: 9, lastServerMessageId: 0, lastClientMessageId: 0 },
    ] as const) {
      expect(legacyRequestToRequest(1, payload, null)).toMatchObject({ type: 'unmappable', reason: 'noCredential', field: 'credential' });
    }
  });

  test('answers are not requests; a request id must be a uint32', () => {
    expect(legacyRequestToRequest(1, { type: 'ok', clientId: 9, rest: new Uint8Array(0) }, SECRET)).toMatchObject({ reason: 'wrongDirection' });
    expect(legacyRequestToRequest(2 ** 32, { type: 'resume', clientId: 9 }, SECRET)).toMatchObject({ reason: 'outOfRange', field: 'requestId' });
  });
});

describe('connection answers', () => {
  const id = clientId(0x1a2b);
  const plain = (type: 'ok' | 'invalidId' | 'invalidProfile' | 'rejected') => ({ type, clientId: 0x1a2b, rest: new Uint8Array(0) });

  test('ok → Ok carrying the ClientID; the secret cannot travel and is reported', () => {
    const withSecret = answerToLegacyAnswer({ code: 'ok', clientId: id, status: 'enabled', secret: 's3cret', lastReceived: 4, lastSent: 9 });
    expect(value(withSecret)).toEqual(plain('ok'));
    expect(lostFields(withSecret)).toEqual(['secret', 'lastReceived', 'lastSent']);
    const without = answerToLegacyAnswer({ code: 'ok', clientId: id, status: 'enabled', secret: null, lastReceived: 0, lastSent: 0 });
    expect(lostFields(without)).toEqual(['lastReceived', 'lastSent']);
  });

  test('rejected loses its reason; invalidId maps; invalidProfile loses its list (publish profiles.gov)', () => {
    const rejected = answerToLegacyAnswer({ code: 'rejected', clientId: id, reason: 'seniority' });
    expect(value(rejected)).toEqual(plain('rejected'));
    expect(lostFields(rejected)).toEqual(['reason']);
    expect(answerToLegacyAnswer({ code: 'invalidId', clientId: id })).toEqual({ type: 'mapped', value: plain('invalidId'), losses: [] });
    const invalidProfile = answerToLegacyAnswer({ code: 'invalidProfile', clientId: id, profiles: [] });
    expect(value(invalidProfile)).toEqual(plain('invalidProfile'));
    expect(lostFields(invalidProfile)).toEqual(['profiles']);
  });

  test('reset becomes Rejected, as the original answered (the adapter also writes <ID>.gov with status reset)', () => {
    const m = answerToLegacyAnswer({ code: 'reset', clientId: id });
    expect(value(m)).toEqual(plain('rejected'));
    expect(lostFields(m)).toEqual(['code']);
  });

  test('a profiles answer has no legacy form', () => {
    expect(answerToLegacyAnswer({ code: 'profiles', clientId: id, profiles: [] })).toMatchObject({ type: 'unmappable', reason: 'noLegacyEquivalent' });
  });

  test('legacy → dialoghub: Ok and InvalidID map; Rejected (no reason) and InvalidProfile (no list) do not', () => {
    const ok: Answer = { code: 'ok', clientId: id, status: 'enabled', secret: null, lastReceived: 0, lastSent: 0 };
    expect(value(legacyAnswerToAnswer(plain('ok')))).toEqual(ok);
    expect(lostFields(legacyAnswerToAnswer({ ...plain('ok'), rest: new Uint8Array([1, 2]) }))).toEqual(['lastReceived', 'lastSent', 'rest']);
    expect(legacyAnswerToAnswer(plain('invalidId'))).toEqual({ type: 'mapped', value: { code: 'invalidId', clientId: id }, losses: [] });
    expect(legacyAnswerToAnswer(plain('rejected'))).toMatchObject({ type: 'unmappable', reason: 'missingField', field: 'reason' });
    expect(legacyAnswerToAnswer(plain('invalidProfile'))).toMatchObject({ type: 'unmappable', reason: 'missingField', field: 'profiles' });
  });
});

describe('dialog messages', () => {
  const fromClient = { direction: 'clientToHub', inSeqBase: 100 } as const;
  const toClient = { direction: 'hubToClient', inSeqBase: 100 } as const;

  test('client → hub: Close, Null, SetInfo, Log, with ids offset by inSeqBase', () => {
    expect(value(legacyDialogToMessage({ id: 1, reqId: 0, payload: { type: 'close' } }, fromClient))).toEqual({ seq: 101, ack: 0, body: { type: 'close' } });
    // The Null names the Sync it answers, which acknowledges the hub's messages up to it (B21).
    expect(value(legacyDialogToMessage({ id: 2, reqId: 57, payload: { type: 'null' } }, fromClient))).toEqual({
      seq: 102,
      ack: 57,
      body: { type: 'null', replyTo: 57 },
    });
    expect(value(legacyDialogToMessage({ id: 3, reqId: 0, payload: { type: 'setInfo', info: INFO } }, fromClient))).toEqual({
      seq: 103,
      ack: 0,
      body: { type: 'setInfo', contact: { name: 'Amine', phone: '021', email: 'a@example.dz' }, clientId: 0x1a2b, profileId: 7 },
    });
    const log = legacyDialogToMessage({ id: 4, reqId: 0, payload: { type: 'log', time: T, isError: true, text: 'échec' } }, fromClient);
    expect(value(log)).toEqual({ seq: 104, ack: 0, body: { type: 'log', at: 1_522_540_800_000, isError: true, text: 'échec' } });
    expect(lostFields(log)).toEqual(['time']);
  });

  test('hub → client: Sync and Ok (replyTo offset back into the client space)', () => {
    expect(value(legacyDialogToMessage({ id: 58, reqId: 0, payload: { type: 'sync' } }, toClient))).toEqual({ seq: 58, ack: 0, body: { type: 'sync' } });
    expect(value(legacyDialogToMessage({ id: 59, reqId: 3, payload: { type: 'ok' } }, toClient))).toEqual({ seq: 59, ack: 0, body: { type: 'ok', replyTo: 103 } });
  });

  test('what has no counterpart is unmappable, with the reason', () => {
    const cases: [LegacyDialogEntry, 'clientToHub' | 'hubToClient', string][] = [
      [{ id: 1, reqId: 0, payload: { type: 'sync' } }, 'clientToHub', 'wrongDirection'],
      [{ id: 1, reqId: 0, payload: { type: 'ok' } }, 'clientToHub', 'wrongDirection'],
      [{ id: 1, reqId: 0, payload: { type: 'close' } }, 'hubToClient', 'wrongDirection'],
      [{ id: 1, reqId: 0, payload: { type: 'log', time: T, isError: false, text: '' } }, 'hubToClient', 'wrongDirection'],
      [{ id: 1, reqId: 0, payload: { type: 'null' } }, 'hubToClient', 'noLegacyEquivalent'],
      [{ id: 1, reqId: 0, payload: { type: 'sendInfo' } }, 'hubToClient', 'notImplemented'],
      [{ id: 1, reqId: 0, payload: { type: 'runOnce', data: new Uint8Array([1]) } }, 'hubToClient', 'notImplemented'],
    ];
    for (const [entry, direction, reason] of cases) {
      expect(legacyDialogToMessage(entry, { direction, inSeqBase: 0 })).toMatchObject({ type: 'unmappable', reason });
    }
    expect(legacyDialogToMessage({ id: 0xffffffff, reqId: 0, payload: { type: 'close' } }, fromClient)).toMatchObject({ reason: 'outOfRange', field: 'id' });
    expect(() => legacyDialogToMessage({ id: 1, reqId: 0, payload: { type: 'close' } }, { direction: 'clientToHub', inSeqBase: -1 })).toThrow(RangeError);
  });

  test('dialoghub → legacy: the reverse, and what cannot go', () => {
    const ok: DialogMessage = { seq: 59, ack: 0, body: { type: 'ok', replyTo: 103 } };
    expect(value(messageToLegacyDialog(ok, toClient))).toEqual({ id: 59, reqId: 3, payload: { type: 'ok' } });
    const refused: DialogMessage = { seq: 60, ack: 0, body: { type: 'refused', replyTo: 103, reason: 'idMismatch' } };
    expect(messageToLegacyDialog(refused, toClient)).toMatchObject({ reason: 'noLegacyEquivalent' });
    const app: DialogMessage = { seq: 61, ack: 0, body: { type: 'app', appType: 'chat', payload: new Uint8Array(0), replyTo: 0 } };
    expect(messageToLegacyDialog(app, toClient)).toMatchObject({ reason: 'noLegacyEquivalent' });
    expect(messageToLegacyDialog({ seq: 0, ack: 5, body: { type: 'ack' } }, toClient)).toMatchObject({ reason: 'noLegacyEquivalent' });
    // An ok answering a message from before this legacy session has no id in it.
    expect(messageToLegacyDialog({ seq: 62, ack: 0, body: { type: 'ok', replyTo: 100 } }, toClient)).toMatchObject({ reason: 'outOfRange', field: 'replyTo' });
    expect(lostFields(messageToLegacyDialog({ seq: 63, ack: 101, body: { type: 'sync' } }, toClient))).toEqual(['ack']);

    const setInfo: DialogMessage = { seq: 103, ack: 0, body: { type: 'setInfo', contact: { name: 'A', phone: 'B', email: 'C' } } };
    expect(messageToLegacyDialog(setInfo, fromClient)).toMatchObject({ reason: 'missingField', field: 'clientId' });
    expect(messageToLegacyDialog({ seq: 100, ack: 0, body: { type: 'close' } }, fromClient)).toMatchObject({ reason: 'outOfRange', field: 'seq' });
    expect(messageToLegacyDialog({ seq: 101, ack: 0, body: { type: 'log', at: 253_402_300_800_000, isError: false, text: '' } }, fromClient)).toMatchObject({
      reason: 'outOfRange',
      field: 'at',
    });
    expect(messageToLegacyDialog({ seq: 101, ack: 0, body: { type: 'sync' } }, fromClient)).toMatchObject({ reason: 'wrongDirection' });
  });

  const arbText = fc.string({ maxLength: 8 });
  const arbEntry = (direction: 'clientToHub' | 'hubToClient'): fc.Arbitrary<LegacyDialogEntry> =>
    direction === 'clientToHub'
      ? fc.oneof(
          fc.record({ id: fc.integer({ min: 1, max: 1e6 }), reqId: fc.constant(0), payload: fc.constant({ type: 'close' as const }) }),
          fc.record({ id: fc.integer({ min: 1, max: 1e6 }), reqId: fc.integer({ min: 0, max: 1e6 }), payload: fc.constant({ type: 'null' as const }) }),
          fc.record({
            id: fc.integer({ min: 1, max: 1e6 }),
            reqId: fc.constant(0),
            payload: fc.record({
              type: fc.constant('setInfo' as const),
              info: fc.record({
                clientId: fc.integer({ min: 1, max: 0xffffffff }),
                profileId: fc.integer({ min: 1, max: 0xffffffff }),
                contactName: arbText,
                contactPhone: arbText,
                contactEmail: arbText,
              }),
            }),
          }),
          fc.record({
            id: fc.integer({ min: 1, max: 1e6 }),
            reqId: fc.constant(0),
            payload: fc.record({
              type: fc.constant('log' as const),
              // Whole milliseconds: the only ticks that survive the trip through `at`.
              time: fc.bigInt({ min: 0n, max: 315_537_897_599_999n }).map((ms) => ms * 10_000n),
              isError: fc.boolean(),
              text: arbText,
            }),
          }),
        )
      : fc.oneof(
          fc.record({ id: fc.integer({ min: 1, max: 0xffffffff }), reqId: fc.constant(0), payload: fc.constant({ type: 'sync' as const }) }),
          fc.record({ id: fc.integer({ min: 1, max: 0xffffffff }), reqId: fc.integer({ min: 0, max: 1e6 }), payload: fc.constant({ type: 'ok' as const }) }),
        );

  for (const direction of ['clientToHub', 'hubToClient'] as const) {
    propTest.prop([arbEntry(direction), fc.integer({ min: 0, max: 1e9 })], { seed: 0x5eed, numRuns: 500 })(
      `${direction}: legacy → dialoghub → legacy gives the entry back`,
      (entry, inSeqBase) => {
        const ctx = { direction, inSeqBase };
        const there = legacyDialogToMessage(entry, ctx);
        expect(there.type).toBe('mapped');
        if (there.type !== 'mapped') return;
        expect(messageToLegacyDialog(there.value, ctx)).toMatchObject({ type: 'mapped', value: entry });
      },
    );
  }
});
