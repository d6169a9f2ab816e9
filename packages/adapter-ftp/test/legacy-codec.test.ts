/**
 * Example tests of the legacy Hub codec (docs/adapters/ftp-legacy.md): every
 * structure, payload and file kind in both directions, against fixture bytes
 * built by hand from hub-protocol.md §3–4 and §6 (explicit byte literals, or
 * the small `Bytes` builder below, which shares no code with the codec), and
 * every error code.
 */
import { describe, expect, test } from 'vitest';
import {
  DEFAULT_LEGACY_LIMITS,
  DOTNET_MAX_TICKS,
  LEGACY_FILE_NAMES,
  LEGACY_MESSAGE_CODES,
  UNIX_EPOCH_TICKS,
  decodeCnxPayload,
  decodeCnxRequestFile,
  decodeCnxResponseFile,
  decodeDialogPayload,
  decodeGovDialogFile,
  decodeHubDialogFile,
  decodeLegacyClientDialog,
  decodeLegacyClientEnvironment,
  decodeLegacyClientInfo,
  decodeLegacyMessage,
  decodeLegacyProfileInfo,
  decodeProfilesFile,
  encodeCnxPayload,
  encodeCnxRequestFile,
  encodeCnxResponseFile,
  encodeDialogPayload,
  encodeGovDialogFile,
  encodeHubDialogFile,
  encodeLegacyClientDialog,
  encodeLegacyClientEnvironment,
  encodeLegacyClientInfo,
  encodeLegacyMessage,
  encodeLegacyProfileInfo,
  encodeProfilesFile,
  epochMsToTicks,
  isNullOrWhiteSpace,
  isDotNetTicks,
  legacyClientIdHex,
  legacyDialogFileNames,
  parseLegacyDialogFileName,
  resolveLegacyLimits,
  ticksRemainder,
  ticksToEpochMs,
  type LegacyClientDialog,
  type LegacyClientEnvironment,
  type LegacyClientInfo,
  type LegacyCnxPayload,
  type LegacyDialogPayload,
  type LegacyHubDialog,
  type LegacyMessage,
  type LegacyMessageCode,
  type LegacyProfileInfo,
  type LegacyResult,
} from '../src/legacy/index.js';

// ---------------------------------------------------------------------------
// An independent byte builder: .NET BinaryWriter layouts, written from the spec.

class Bytes {
  private readonly out: number[] = [];

  private le(size: number, set: (v: DataView) => void): this {
    const view = new DataView(new ArrayBuffer(size));
    set(view);
    for (let i = 0; i < size; i++) this.out.push(view.getUint8(i));
    return this;
  }

  /** Raw ASCII (the signatures: no length prefix). */
  ascii(s: string): this {
    for (let i = 0; i < s.length; i++) this.out.push(s.charCodeAt(i));
    return this;
  }
  u8(v: number): this {
    this.out.push(v);
    return this;
  }
  bool(v: boolean): this {
    return this.u8(v ? 1 : 0);
  }
  u32(v: number): this {
    return this.le(4, (d) => d.setUint32(0, v, true));
  }
  i32(v: number): this {
    return this.le(4, (d) => d.setInt32(0, v, true));
  }
  i64(v: bigint): this {
    return this.le(8, (d) => d.setBigInt64(0, v, true));
  }
  /** The 7-bit encoded length of BinaryWriter.Write(string). */
  len7(n: number): this {
    let v = n;
    while (v >= 0x80) {
      this.out.push((v % 0x80) | 0x80);
      v = Math.floor(v / 0x80);
    }
    this.out.push(v);
    return this;
  }
  str(s: string): this {
    const utf8 = Buffer.from(s, 'utf8');
    this.len7(utf8.length);
    return this.raw(utf8);
  }
  raw(bytes: ArrayLike<number>): this {
    for (let i = 0; i < bytes.length; i++) this.out.push(bytes[i]!);
    return this;
  }
  /** A Message: ID, ReqID, code, Timestamp, DataLength, Data. */
  message(m: { id: number; reqId: number; code: number; ticks: bigint; data: ArrayLike<number> }): this {
    return this.u32(m.id).u32(m.reqId).u8(m.code).i64(m.ticks).i32(m.data.length).raw(m.data);
  }
  info(i: LegacyClientInfo): this {
    return this.u32(i.clientId).u32(i.profileId).str(i.contactName).str(i.contactPhone).str(i.contactEmail);
  }
  env(e: LegacyClientEnvironment, arch: number): this {
    return this.u8(arch).bool(e.is64BitOperatingSystem).str(e.userName).str(e.machineName).str(e.osVersion).str(e.hubVersion);
  }
  get length(): number {
    return this.out.length;
  }
  build(): Uint8Array {
    return Uint8Array.from(this.out);
  }
}

const b = (): Bytes => new Bytes();

/** 2018-04-01T00:00:00 as ticks: 0x08D59763831C0000. */
const T_2018 = 636_581_376_000_000_000n;

function expectErr<T>(r: LegacyResult<T>, expected: { code: string; offset?: number; field?: string }): void {
  expect(r.ok).toBe(false);
  if (!r.ok) expect(r.error).toMatchObject(expected);
}

/** Both directions: decode(bytes) deep-equals value, encode(value) equals bytes exactly. */
function both<T>(value: T, bytes: Uint8Array, encode: (v: T) => Uint8Array, decode: (b: Uint8Array) => LegacyResult<T>): void {
  expect(decode(bytes)).toEqual({ ok: true, value });
  expect(Array.from(encode(value))).toEqual(Array.from(bytes));
}

const INFO: LegacyClientInfo = {
  clientId: 0x9e3779b9,
  profileId: 7,
  contactName: 'Amine Benali',
  contactPhone: '+213 21 00 00 00',
  contactEmail: 'a.benali@example.dz',
};

const INFO_UNICODE: LegacyClientInfo = {
  clientId: 1,
  profileId: 0xffffffff,
  contactName: 'Zoé Ünal — 日本語 🎉',
  contactPhone: '',
  contactEmail: 'حسين@example.dz',
};

const ENV: LegacyClientEnvironment = {
  architecture: 'win7sp1x64',
  is64BitOperatingSystem: true,
  userName: 'douane\\agent',
  machineName: 'PC-ALGER-07',
  osVersion: 'Microsoft Windows NT 6.1.7601 Service Pack 1',
  hubVersion: '1.4.0.0',
};

// ---------------------------------------------------------------------------

describe('Message', () => {
  test('a Close message, as literal bytes', () => {
    const bytes = new Uint8Array([
      0x01, 0x00, 0x00, 0x00, // ID = 1
      0x00, 0x00, 0x00, 0x00, // ReqID = 0
      0x0a, // MessageCode = Close (10)
      0x00, 0x00, 0x1c, 0x83, 0x63, 0x97, 0xd5, 0x08, // Timestamp = 636581376000000000 ticks
      0x00, 0x00, 0x00, 0x00, // DataLength = 0
    ]);
    const m: LegacyMessage = { id: 1, reqId: 0, code: 'close', timestamp: T_2018, data: new Uint8Array(0) };
    both(m, bytes, encodeLegacyMessage, decodeLegacyMessage);
  });

  test('every message code travels as its declared byte', () => {
    const codes: [LegacyMessageCode, number][] = [
      ['newConnection', 1],
      ['resume', 2],
      ['ok', 3],
      ['invalidId', 4],
      ['invalidProfile', 5],
      ['rejected', 6],
      ['sendInfo', 7],
      ['setInfo', 8],
      ['start', 9],
      ['close', 10],
      ['sync', 11],
      ['null', 12],
      ['log', 13],
      ['runOnce', 14],
    ];
    expect(Object.entries(LEGACY_MESSAGE_CODES)).toEqual(codes);
    for (const [code, byte] of codes) {
      const data = [0xde, 0xad, byte];
      const m: LegacyMessage = { id: 0xfffffffe, reqId: 0xffffffff, code, timestamp: 0n, data: Uint8Array.from(data) };
      both(m, b().message({ id: 0xfffffffe, reqId: 0xffffffff, code: byte, ticks: 0n, data }).build(), encodeLegacyMessage, decodeLegacyMessage);
    }
  });

  test('the largest DateTime (beyond 2^53: exact only as a bigint) and ticks 0', () => {
    const max: LegacyMessage = { id: 2, reqId: 1, code: 'null', timestamp: DOTNET_MAX_TICKS, data: new Uint8Array(0) };
    const bytes = b().u32(2).u32(1).u8(12).raw([0xff, 0x3f, 0x37, 0xf4, 0x75, 0x28, 0xca, 0x2b]).i32(0).build();
    both(max, bytes, encodeLegacyMessage, decodeLegacyMessage);
    both({ ...max, timestamp: 0n }, b().u32(2).u32(1).u8(12).i64(0n).i32(0).build(), encodeLegacyMessage, decodeLegacyMessage);
  });

  test('ticks outside the DateTime range are corrupt on read (new DateTime throws) and refused on write', () => {
    for (const ticks of [-1n, -(2n ** 63n), DOTNET_MAX_TICKS + 1n, 2n ** 63n - 1n]) {
      const bytes = b().u32(1).u32(0).u8(10).i64(ticks).i32(0).build();
      expectErr(decodeLegacyMessage(bytes), { code: 'corrupt', offset: 9, field: 'message.timestamp' });
      expect(() => encodeLegacyMessage({ id: 1, reqId: 0, code: 'close', timestamp: ticks, data: new Uint8Array(0) })).toThrow(RangeError);
    }
    expect(() => encodeLegacyMessage({ id: 1, reqId: 0, code: 'close', timestamp: 5 as unknown as bigint, data: new Uint8Array(0) })).toThrow(TypeError);
  });

  test('validation on read: ID 0, code 0, undefined code, negative DataLength', () => {
    expectErr(decodeLegacyMessage(b().u32(0).u32(0).u8(10).i64(T_2018).i32(0).build()), { code: 'corrupt', offset: 0, field: 'message.id' });
    expectErr(decodeLegacyMessage(b().u32(1).u32(0).u8(0).i64(T_2018).i32(0).build()), { code: 'corrupt', offset: 8, field: 'message.code' });
    expectErr(decodeLegacyMessage(b().u32(1).u32(0).u8(15).i64(T_2018).i32(0).build()), { code: 'corrupt', offset: 8, field: 'message.code' });
    expectErr(decodeLegacyMessage(b().u32(1).u32(0).u8(10).i64(T_2018).i32(-1).build()), { code: 'corrupt', offset: 17, field: 'message.data.length' });
  });

  test('DataLength beyond the bytes is truncated; beyond maxDataLength is oversize, before anything is read', () => {
    expectErr(decodeLegacyMessage(b().u32(1).u32(0).u8(10).i64(T_2018).i32(3).raw([1, 2]).build()), { code: 'truncated', offset: 21, field: 'message.data' });
    const big = b().u32(1).u32(0).u8(10).i64(T_2018).i32(DEFAULT_LEGACY_LIMITS.maxDataLength + 1).build();
    expectErr(decodeLegacyMessage(big), { code: 'oversize', offset: 17, field: 'message.data.length' });
    expectErr(decodeLegacyMessage(b().u32(1).u32(0).u8(10).i64(T_2018).i32(5).raw([1, 2, 3, 4, 5]).build(), { maxDataLength: 4 }), { code: 'oversize' });
  });

  test('the encoder names the bad field', () => {
    const ok: LegacyMessage = { id: 1, reqId: 0, code: 'close', timestamp: T_2018, data: new Uint8Array(0) };
    expect(() => encodeLegacyMessage({ ...ok, id: 0 })).toThrow(/message\.id .*never 0/);
    expect(() => encodeLegacyMessage({ ...ok, id: 2 ** 32 })).toThrow(RangeError);
    expect(() => encodeLegacyMessage({ ...ok, reqId: -1 })).toThrow(/message\.reqId/);
    expect(() => encodeLegacyMessage({ ...ok, code: 'unknown' as LegacyMessageCode })).toThrow(/message\.code/);
    expect(() => encodeLegacyMessage({ ...ok, code: 'toString' as LegacyMessageCode })).toThrow(RangeError);
    expect(() => encodeLegacyMessage({ ...ok, data: [1, 2] as unknown as Uint8Array })).toThrow(TypeError);
    expect(() => encodeLegacyMessage({ ...ok, data: new Uint8Array(5) }, { maxDataLength: 4 })).toThrow(/message\.data must be at most 4 bytes/);
    expect(() => encodeLegacyMessage(null as unknown as LegacyMessage)).toThrow(TypeError);
  });
});

describe('ClientInfo, ClientEnvironment, ProfileInfo, ClientDialog', () => {
  test('ClientInfo: ids, then ContactName, ContactPhone, ContaclEMail', () => {
    both(INFO, b().info(INFO).build(), encodeLegacyClientInfo, decodeLegacyClientInfo);
    const bytes = new Uint8Array([
      0x01, 0x00, 0x00, 0x00, // ClientID 1
      0xff, 0xff, 0xff, 0xff, // ProfileID 2^32-1
      ...[0x1d, ...Buffer.from('Zoé Ünal — 日本語 🎉', 'utf8')], // 29 UTF-8 bytes
      0x00, // empty phone
      ...[0x13, ...Buffer.from('حسين@example.dz', 'utf8')], // 19 UTF-8 bytes
    ]);
    expect(Buffer.byteLength(INFO_UNICODE.contactName)).toBe(0x1d);
    both(INFO_UNICODE, bytes, encodeLegacyClientInfo, decodeLegacyClientInfo);
  });

  test('ClientInfo: ClientID 0 and ProfileID 0 are corrupt on read and refused on write', () => {
    expectErr(decodeLegacyClientInfo(b().info({ ...INFO, clientId: 0 }).build()), { code: 'corrupt', offset: 0, field: 'info.clientId' });
    expectErr(decodeLegacyClientInfo(b().info({ ...INFO, profileId: 0 }).build()), { code: 'corrupt', offset: 4, field: 'info.profileId' });
    expect(() => encodeLegacyClientInfo({ ...INFO, profileId: 0 })).toThrow(/info\.profileId/);
    expect(() => encodeLegacyClientInfo({ ...INFO, contactEmail: undefined as unknown as string })).toThrow(TypeError);
  });

  test('ClientEnvironment: every architecture, both booleans', () => {
    const archs = [
      ['win7sp1', 0],
      ['win7sp1x64', 1],
      ['winXP', 2],
    ] as const;
    for (const [architecture, byte] of archs) {
      for (const is64 of [false, true]) {
        const env: LegacyClientEnvironment = { ...ENV, architecture, is64BitOperatingSystem: is64 };
        both(env, b().env(env, byte).build(), encodeLegacyClientEnvironment, decodeLegacyClientEnvironment);
      }
    }
    const literal = new Uint8Array([0x02, 0x00, 0x00, 0x00, 0x01, 0x61, 0x03, 0x31, 0x2e, 0x30]);
    both(
      { architecture: 'winXP', is64BitOperatingSystem: false, userName: '', machineName: '', osVersion: 'a', hubVersion: '1.0' },
      literal,
      encodeLegacyClientEnvironment,
      decodeLegacyClientEnvironment,
    );
  });

  test('ClientEnvironment: an undefined architecture is corrupt; a boolean must be 0 or 1', () => {
    expectErr(decodeLegacyClientEnvironment(b().env(ENV, 3).build()), { code: 'corrupt', offset: 0, field: 'environment.architecture' });
    const bad = b().env(ENV, 1).build();
    bad[1] = 2;
    expectErr(decodeLegacyClientEnvironment(bad), { code: 'corrupt', offset: 1, field: 'environment.is64BitOperatingSystem' });
    expect(() => encodeLegacyClientEnvironment({ ...ENV, architecture: 'win10' as 'winXP' })).toThrow(/environment\.architecture/);
    expect(() => encodeLegacyClientEnvironment({ ...ENV, is64BitOperatingSystem: 1 as unknown as boolean })).toThrow(TypeError);
  });

  test('ProfileInfo: ID, name, privilege', () => {
    const p: LegacyProfileInfo = { profileId: 3, name: 'Inspecteur principal', privilege: 'default' };
    both(p, b().u32(3).str('Inspecteur principal').u8(0).build(), encodeLegacyProfileInfo, decodeLegacyProfileInfo);
  });

  test('ProfileInfo: ID 0, a blank name (.NET white space), an undefined privilege', () => {
    expectErr(decodeLegacyProfileInfo(b().u32(0).str('x').u8(0).build()), { code: 'corrupt', offset: 0, field: 'profile.profileId' });
    for (const blank of ['', ' ', '\t\r\n', '\u00a0\u3000\u2028\u0085']) {
      expectErr(decodeLegacyProfileInfo(b().u32(1).str(blank).u8(0).build()), { code: 'corrupt', offset: 4, field: 'profile.name' });
      expect(() => encodeLegacyProfileInfo({ profileId: 1, name: blank, privilege: 'default' })).toThrow(/profile\.name must be not blank/);
    }
    // U+FEFF and U+200B are not white space for .NET, although JS \s matches U+FEFF.
    expect(isNullOrWhiteSpace('\ufeff')).toBe(false);
    expect(isNullOrWhiteSpace('\u200b')).toBe(false);
    const bom = b().u32(1).str('\ufeff').u8(0).build();
    expect(decodeLegacyProfileInfo(bom)).toEqual({ ok: true, value: { profileId: 1, name: '\ufeff', privilege: 'default' } });
    expectErr(decodeLegacyProfileInfo(b().u32(1).str('x').u8(1).build()), { code: 'corrupt', offset: 6, field: 'profile.privilege' });
  });

  test('ClientDialog: every status, with messages', () => {
    const statuses = [
      ['enabled', 1],
      ['disabled', 2],
      ['banned', 3],
      ['reset', 4],
    ] as const;
    for (const [status, byte] of statuses) {
      const d: LegacyClientDialog = {
        clientId: 0x1a2b,
        status,
        messages: [
          { id: 1, reqId: 0, code: 'sync', timestamp: T_2018, data: new Uint8Array(0) },
          { id: 2, reqId: 5, code: 'ok', timestamp: T_2018 + 1n, data: new Uint8Array(0) },
        ],
      };
      const bytes = b()
        .u32(0x1a2b)
        .u8(byte)
        .i32(2)
        .message({ id: 1, reqId: 0, code: 11, ticks: T_2018, data: [] })
        .message({ id: 2, reqId: 5, code: 3, ticks: T_2018 + 1n, data: [] })
        .build();
      both(d, bytes, encodeLegacyClientDialog, decodeLegacyClientDialog);
    }
  });

  test('ClientDialog: ClientID 0, status 0 or undefined, a negative count', () => {
    expectErr(decodeLegacyClientDialog(b().u32(0).u8(1).i32(0).build()), { code: 'corrupt', offset: 0, field: 'dialog.clientId' });
    expectErr(decodeLegacyClientDialog(b().u32(9).u8(0).i32(0).build()), { code: 'corrupt', offset: 4, field: 'dialog.status' });
    expectErr(decodeLegacyClientDialog(b().u32(9).u8(5).i32(0).build()), { code: 'corrupt', offset: 4, field: 'dialog.status' });
    expectErr(decodeLegacyClientDialog(b().u32(9).u8(1).i32(-1).build()), { code: 'corrupt', offset: 5, field: 'dialog.messages.count' });
    expect(() => encodeLegacyClientDialog({ clientId: 9, status: 'unknown' as 'enabled', messages: [] })).toThrow(/dialog\.status/);
    expect(() => encodeLegacyClientDialog({ clientId: 9, status: 'enabled', messages: {} as LegacyMessage[] })).toThrow(TypeError);
  });
});

describe('strings: 7-bit length prefixes and UTF-8', () => {
  const cases: [number, number[]][] = [
    [0, [0x00]],
    [1, [0x01]],
    [127, [0x7f]],
    [128, [0x80, 0x01]],
    [300, [0xac, 0x02]],
    [16383, [0xff, 0x7f]],
    [16384, [0x80, 0x80, 0x01]],
  ];
  for (const [n, prefix] of cases) {
    test(`a ${n}-byte string has the prefix ${prefix.map((x) => x.toString(16)).join(' ')}`, () => {
      const text = 'n'.repeat(n);
      const env: LegacyClientEnvironment = { ...ENV, architecture: 'win7sp1', is64BitOperatingSystem: false, userName: text, machineName: '', osVersion: '', hubVersion: '' };
      const bytes = new Uint8Array([0x00, 0x00, ...prefix, ...Buffer.from(text, 'utf8'), 0x00, 0x00, 0x00]);
      expect(Buffer.byteLength(text)).toBe(n);
      both(env, bytes, encodeLegacyClientEnvironment, decodeLegacyClientEnvironment);
    });
  }

  test('the prefix counts UTF-8 bytes, not characters: 64 × "é" is 128 bytes', () => {
    const env: LegacyClientEnvironment = { ...ENV, userName: 'é'.repeat(64) };
    const bytes = b().env(env, 1).build();
    expect(Array.from(bytes.subarray(2, 4))).toEqual([0x80, 0x01]);
    both(env, bytes, encodeLegacyClientEnvironment, decodeLegacyClientEnvironment);
  });

  test('2^21 bytes cross into a four-byte prefix (with the limit raised)', () => {
    const limits = { maxStringBytes: 1 << 22, maxFileBytes: 1 << 23 };
    for (const [n, prefix] of [
      [2097151, [0xff, 0xff, 0x7f]],
      [2097152, [0x80, 0x80, 0x80, 0x01]],
    ] as const) {
      const text = 'a'.repeat(n);
      const bytes = new Uint8Array([0x01, 0x01, ...prefix, ...Buffer.from(text), 0x00, 0x00, 0x00]);
      const env: LegacyClientEnvironment = { architecture: 'win7sp1x64', is64BitOperatingSystem: true, userName: text, machineName: '', osVersion: '', hubVersion: '' };
      expect(decodeLegacyClientEnvironment(bytes, limits)).toEqual({ ok: true, value: env });
      expect(Buffer.from(encodeLegacyClientEnvironment(env, limits)).equals(Buffer.from(bytes))).toBe(true);
    }
  });

  test('a BOM at the start of a string is kept', () => {
    const info: LegacyClientInfo = { ...INFO, contactName: '\ufeffnom' };
    both(info, b().info(info).build(), encodeLegacyClientInfo, decodeLegacyClientInfo);
  });

  test('an overlong prefix, a prefix over 5 bytes, a length over int32 are corrupt', () => {
    const env = (prefix: number[]): Uint8Array => new Uint8Array([0x00, 0x00, ...prefix]);
    expectErr(decodeLegacyClientEnvironment(env([0x80, 0x00])), { code: 'corrupt', offset: 2, field: 'environment.userName' });
    expectErr(decodeLegacyClientEnvironment(env([0x81, 0x80, 0x00])), { code: 'corrupt', offset: 2 });
    expectErr(decodeLegacyClientEnvironment(env([0x80, 0x80, 0x80, 0x80, 0x80, 0x01])), { code: 'corrupt', offset: 2 });
    expectErr(decodeLegacyClientEnvironment(env([0xff, 0xff, 0xff, 0xff, 0x0f])), { code: 'corrupt', offset: 2 });
    expectErr(decodeLegacyClientEnvironment(env([0x80, 0x80])), { code: 'truncated', offset: 4 });
  });

  test('invalid UTF-8 is badUtf8 at the first byte of the string', () => {
    for (const bad of [[0xff], [0xc3], [0xed, 0xa0, 0x80], [0xc0, 0xaf], [0xf4, 0x90, 0x80, 0x80]]) {
      const bytes = new Uint8Array([0x00, 0x00, bad.length, ...bad, 0x00, 0x00, 0x00]);
      expectErr(decodeLegacyClientEnvironment(bytes), { code: 'badUtf8', offset: 3, field: 'environment.userName' });
    }
  });

  test('a string longer than maxStringBytes is oversize on read and refused on write', () => {
    const info: LegacyClientInfo = { ...INFO, contactPhone: '0123456789abcdef' };
    const phoneAt = 8 + 1 + Buffer.byteLength(INFO.contactName);
    expectErr(decodeLegacyClientInfo(b().info(info).build(), { maxStringBytes: 15 }), { code: 'oversize', offset: phoneAt, field: 'info.contactPhone' });
    expect(decodeLegacyClientInfo(b().info(info).build(), { maxStringBytes: Buffer.byteLength(INFO.contactEmail) }).ok).toBe(true);
    expect(() => encodeLegacyClientInfo(info, { maxStringBytes: 15 })).toThrow(/info\.contactPhone must be at most 15 UTF-8 bytes/);
    expect(() => encodeLegacyClientInfo({ ...INFO, contactName: 'a\ud800b' })).toThrow(/info\.contactName must be well-formed/);
  });
});

describe('payloads of each message code', () => {
  test('newConnection = ClientInfo + ClientEnvironment', () => {
    const p: LegacyCnxPayload = { type: 'newConnection', info: INFO, environment: ENV };
    const data = b().info(INFO).env(ENV, 1).build();
    expect(decodeCnxPayload({ code: 'newConnection', data })).toEqual({ ok: true, value: p });
    expect(encodeCnxPayload(p)).toEqual({ code: 'newConnection', data });
  });

  test('resume = ClientID', () => {
    const data = new Uint8Array([0x2b, 0x1a, 0x00, 0x00]);
    expect(decodeCnxPayload({ code: 'resume', data })).toEqual({ ok: true, value: { type: 'resume', clientId: 0x1a2b } });
    expect(encodeCnxPayload({ type: 'resume', clientId: 0x1a2b })).toEqual({ code: 'resume', data });
  });

  test('start = ClientID + ClientEnvironment + int64 start ticks', () => {
    const p: LegacyCnxPayload = { type: 'start', clientId: 42, environment: ENV, startTime: T_2018 };
    const data = b().u32(42).env(ENV, 1).i64(T_2018).build();
    expect(decodeCnxPayload({ code: 'start', data })).toEqual({ ok: true, value: p });
    expect(encodeCnxPayload(p)).toEqual({ code: 'start', data });
  });

  test('cnx sync = ClientID + last server message ID + last client message ID', () => {
    const p: LegacyCnxPayload = { type: 'sync', clientId: 42, lastServerMessageId: 0, lastClientMessageId: 0xffffffff };
    const data = new Uint8Array([42, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]);
    expect(decodeCnxPayload({ code: 'sync', data })).toEqual({ ok: true, value: p });
    expect(encodeCnxPayload(p)).toEqual({ code: 'sync', data });
  });

  test('answers carry the ClientID, then whatever the governor echoed', () => {
    for (const type of ['ok', 'invalidId', 'invalidProfile', 'rejected'] as const) {
      const plain = new Uint8Array([7, 0, 0, 0]);
      expect(decodeCnxPayload({ code: type, data: plain })).toEqual({ ok: true, value: { type, clientId: 7, rest: new Uint8Array(0) } });
      expect(encodeCnxPayload({ type, clientId: 7, rest: new Uint8Array(0) })).toEqual({ code: type, data: plain });
    }
    // A Start answer echoes the request data (§8.2).
    const echoed = b().u32(42).env(ENV, 1).i64(T_2018).build();
    const rest = echoed.slice(4);
    expect(decodeCnxPayload({ code: 'ok', data: echoed })).toEqual({ ok: true, value: { type: 'ok', clientId: 42, rest } });
    expect(encodeCnxPayload({ type: 'ok', clientId: 42, rest })).toEqual({ code: 'ok', data: echoed });
  });

  test('dialog codes without data: close, null, sync, ok, sendInfo', () => {
    for (const type of ['close', 'null', 'sync', 'ok', 'sendInfo'] as const) {
      expect(decodeDialogPayload({ code: type, data: new Uint8Array(0) })).toEqual({ ok: true, value: { type } });
      expect(encodeDialogPayload({ type })).toEqual({ code: type, data: new Uint8Array(0) });
      expectErr(decodeDialogPayload({ code: type, data: new Uint8Array([0]) }), { code: 'trailingBytes', offset: 0 });
    }
  });

  test('setInfo = ClientInfo', () => {
    const data = b().info(INFO_UNICODE).build();
    expect(decodeDialogPayload({ code: 'setInfo', data })).toEqual({ ok: true, value: { type: 'setInfo', info: INFO_UNICODE } });
    expect(encodeDialogPayload({ type: 'setInfo', info: INFO_UNICODE })).toEqual({ code: 'setInfo', data });
  });

  test('log = int64 time + bool isError + string', () => {
    const p: LegacyDialogPayload = { type: 'log', time: T_2018 + 1234n, isError: true, text: 'Échec: accès refusé' };
    const data = b().i64(T_2018 + 1234n).bool(true).str('Échec: accès refusé').build();
    expect(decodeDialogPayload({ code: 'log', data })).toEqual({ ok: true, value: p });
    expect(encodeDialogPayload(p)).toEqual({ code: 'log', data });
    expectErr(decodeDialogPayload({ code: 'log', data: b().i64(-5n).bool(false).str('').build() }), { code: 'corrupt', offset: 0, field: 'time' });
  });

  test('runOnce keeps its (never specified) bytes', () => {
    const data = new Uint8Array([1, 2, 3]);
    expect(decodeDialogPayload({ code: 'runOnce', data })).toEqual({ ok: true, value: { type: 'runOnce', data } });
    expect(encodeDialogPayload({ type: 'runOnce', data })).toEqual({ code: 'runOnce', data });
  });

  test('a code on the wrong channel is wrongChannel (B8), and refused on write', () => {
    for (const code of ['log', 'close', 'null', 'setInfo', 'sendInfo', 'runOnce'] as const) {
      expectErr(decodeCnxPayload({ code, data: new Uint8Array(0) }), { code: 'wrongChannel', field: 'code' });
    }
    for (const code of ['newConnection', 'resume', 'start', 'invalidId', 'invalidProfile', 'rejected'] as const) {
      expectErr(decodeDialogPayload({ code, data: new Uint8Array(0) }), { code: 'wrongChannel', field: 'code' });
    }
    expect(() => encodeCnxPayload({ type: 'log' } as unknown as LegacyCnxPayload)).toThrow(/payload\.type must be a code of the cnx channel/);
    expect(() => encodeDialogPayload({ type: 'resume', clientId: 1 } as unknown as LegacyDialogPayload)).toThrow(RangeError);
  });

  test('payload errors: truncated, trailing bytes, ClientID 0, oversize; offsets index the data', () => {
    expectErr(decodeCnxPayload({ code: 'resume', data: new Uint8Array([1, 0]) }), { code: 'truncated', offset: 0, field: 'clientId' });
    expectErr(decodeCnxPayload({ code: 'resume', data: new Uint8Array([1, 0, 0, 0, 9]) }), { code: 'trailingBytes', offset: 4 });
    expectErr(decodeCnxPayload({ code: 'resume', data: new Uint8Array(4) }), { code: 'corrupt', offset: 0, field: 'clientId' });
    expectErr(decodeCnxPayload({ code: 'rejected', data: new Uint8Array(4) }), { code: 'corrupt', field: 'clientId' });
    expectErr(decodeCnxPayload({ code: 'sync', data: new Uint8Array([1, 0, 0, 0, 1, 0, 0, 0]) }), { code: 'truncated', offset: 8, field: 'lastClientMessageId' });
    expectErr(decodeCnxPayload({ code: 'newConnection', data: b().info(INFO).env(ENV, 7).build() }), {
      code: 'corrupt',
      field: 'environment.architecture',
      offset: b().info(INFO).length,
    });
    expectErr(decodeDialogPayload({ code: 'runOnce', data: new Uint8Array(9) }, { maxDataLength: 8 }), { code: 'oversize', field: 'data' });
    expect(() => encodeCnxPayload({ type: 'resume', clientId: 0 })).toThrow(/payload\.clientId/);
    expect(() => encodeDialogPayload({ type: 'runOnce', data: new Uint8Array(9) }, { maxDataLength: 8 })).toThrow(/payload must be at most 8 bytes/);
  });
});

describe('the five files', () => {
  const close: LegacyMessage = { id: 3, reqId: 0, code: 'close', timestamp: T_2018, data: new Uint8Array(0) };
  const resume: LegacyMessage = { id: 4, reqId: 0, code: 'resume', timestamp: T_2018, data: new Uint8Array([0x2b, 0x1a, 0, 0]) };

  test('cxnreq.hub: "CXNCLIENT1", count, messages', () => {
    const messages: LegacyMessage[] = [resume, { ...resume, id: 5, code: 'newConnection', data: b().info(INFO).env(ENV, 1).build() }];
    const bytes = b()
      .raw([0x43, 0x58, 0x4e, 0x43, 0x4c, 0x49, 0x45, 0x4e, 0x54, 0x31])
      .i32(2)
      .message({ id: 4, reqId: 0, code: 2, ticks: T_2018, data: [0x2b, 0x1a, 0, 0] })
      .message({ id: 5, reqId: 0, code: 1, ticks: T_2018, data: b().info(INFO).env(ENV, 1).build() })
      .build();
    both(messages, bytes, encodeCnxRequestFile, decodeCnxRequestFile);
    both([], new Uint8Array([...Buffer.from('CXNCLIENT1'), 0, 0, 0, 0]), encodeCnxRequestFile, decodeCnxRequestFile);
  });

  test('cxnresp.gov: "CXNSRV1", count, messages', () => {
    const answer: LegacyMessage = { id: 1, reqId: 4, code: 'ok', timestamp: T_2018, data: new Uint8Array([0x2b, 0x1a, 0, 0]) };
    const bytes = new Uint8Array([
      ...[0x43, 0x58, 0x4e, 0x53, 0x52, 0x56, 0x31], // CXNSRV1
      ...[0x01, 0x00, 0x00, 0x00], // count 1
      ...[0x01, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x03], // ID 1, ReqID 4, Ok
      ...[0x00, 0x00, 0x1c, 0x83, 0x63, 0x97, 0xd5, 0x08], // Timestamp
      ...[0x04, 0x00, 0x00, 0x00, 0x2b, 0x1a, 0x00, 0x00], // Data = ClientID 0x1A2B
    ]);
    both([answer], bytes, encodeCnxResponseFile, decodeCnxResponseFile);
  });

  test('profiles.gov: "USERPROF1", count, ProfileInfo*', () => {
    const profiles: LegacyProfileInfo[] = [
      { profileId: 1, name: 'Agent', privilege: 'default' },
      { profileId: 2, name: 'Chef de brigade – Oran', privilege: 'default' },
    ];
    const bytes = b().ascii('USERPROF1').i32(2).u32(1).str('Agent').u8(0).u32(2).str('Chef de brigade – Oran').u8(0).build();
    both(profiles, bytes, encodeProfilesFile, decodeProfilesFile);
  });

  test('<ID>.hub: "HMSG1", uint32 ClientID, count, messages', () => {
    const dialog: LegacyHubDialog = { clientId: 0x1a2b, messages: [close] };
    const bytes = new Uint8Array([
      ...[0x48, 0x4d, 0x53, 0x47, 0x31], // HMSG1
      ...[0x2b, 0x1a, 0x00, 0x00], // ClientID
      ...[0x01, 0x00, 0x00, 0x00], // count
      ...[0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0a],
      ...[0x00, 0x00, 0x1c, 0x83, 0x63, 0x97, 0xd5, 0x08],
      ...[0x00, 0x00, 0x00, 0x00],
    ]);
    both(dialog, bytes, encodeHubDialogFile, decodeHubDialogFile);
    expect(decodeHubDialogFile(bytes, undefined, 0x1a2b)).toEqual({ ok: true, value: dialog });
    expectErr(decodeHubDialogFile(bytes, undefined, 0x1a2c), { code: 'corrupt', offset: 5, field: 'dialog.clientId' });
    expectErr(decodeHubDialogFile(b().ascii('HMSG1').u32(0).i32(0).build()), { code: 'corrupt', offset: 5, field: 'dialog.clientId' });
    expect(() => decodeHubDialogFile(bytes, undefined, 0)).toThrow(RangeError);
  });

  test('<ID>.gov: "GMSG1", ClientDialog', () => {
    const dialog: LegacyClientDialog = { clientId: 0xffffffff, status: 'banned', messages: [] };
    both(dialog, new Uint8Array([0x47, 0x4d, 0x53, 0x47, 0x31, 0xff, 0xff, 0xff, 0xff, 0x03, 0, 0, 0, 0]), encodeGovDialogFile, decodeGovDialogFile);
  });

  test('a wrong signature is badSignature at the first differing byte, for every kind', () => {
    const files: [string, (x: Uint8Array) => LegacyResult<unknown>][] = [
      ['CXNCLIENT1', decodeCnxRequestFile],
      ['CXNSRV1', decodeCnxResponseFile],
      ['USERPROF1', decodeProfilesFile],
      ['HMSG1', (x) => decodeHubDialogFile(x)],
      ['GMSG1', decodeGovDialogFile],
    ];
    for (const [sig, decode] of files) {
      const bytes = b().ascii(sig).i32(0).raw([1, 0, 0, 0, 1, 0, 0, 0]).build();
      bytes[2] = bytes[2]! ^ 0x20; // lower-case one letter
      expectErr(decode(bytes), { code: 'badSignature', offset: 2, field: 'signature' });
    }
    // Another file kind's signature.
    expectErr(decodeGovDialogFile(b().ascii('HMSG1').u32(1).i32(0).build()), { code: 'badSignature', offset: 0 });
    // A signature with a length prefix (BinaryWriter.Write(string)) is not the format.
    expectErr(decodeCnxResponseFile(b().str('CXNSRV1').i32(0).build()), { code: 'badSignature', offset: 0 });
  });

  test('every strict prefix of a file is refused (truncated, or a cut signature)', () => {
    const bytes = encodeGovDialogFile({ clientId: 9, status: 'enabled', messages: [close, { ...resume, code: 'log', data: b().i64(T_2018).bool(false).str('démarrage').build() }] });
    for (let n = 0; n < bytes.length; n++) {
      const r = decodeGovDialogFile(bytes.subarray(0, n));
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.code).toBe('truncated');
    }
  });

  test('trailing bytes after the last message are refused', () => {
    const bytes = b().ascii('CXNSRV1').i32(0).u8(0).build();
    expectErr(decodeCnxResponseFile(bytes), { code: 'trailingBytes', offset: 11 });
    const extra = b().ascii('CXNSRV1').i32(1).message({ id: 1, reqId: 1, code: 3, ticks: 0n, data: [1, 0, 0, 0] }).u8(0xff).build();
    expectErr(decodeCnxResponseFile(extra), { code: 'trailingBytes', offset: extra.length - 1 });
  });

  test('oversize: a file over maxFileBytes (before parsing), a count over maxCount (before reading)', () => {
    const bytes = encodeCnxRequestFile([close, close, close]);
    expectErr(decodeCnxRequestFile(bytes, { maxFileBytes: bytes.length - 1 }), { code: 'oversize', offset: 0 });
    expect(decodeCnxRequestFile(bytes, { maxFileBytes: bytes.length }).ok).toBe(true);
    expectErr(decodeCnxRequestFile(bytes, { maxCount: 2 }), { code: 'oversize', offset: 10, field: 'messages.count' });
    expectErr(decodeProfilesFile(b().ascii('USERPROF1').i32(0x7fffffff).build()), { code: 'oversize', field: 'profiles.count' });
    expectErr(decodeProfilesFile(b().ascii('USERPROF1').i32(-2).build()), { code: 'corrupt', field: 'profiles.count' });
    // A count the bytes cannot hold is simply truncated, without allocating for it.
    expectErr(decodeCnxRequestFile(b().ascii('CXNCLIENT1').i32(1000).build()), { code: 'truncated', offset: 14 });
    expect(() => encodeCnxRequestFile([close, close, close], { maxCount: 2 })).toThrow(/messages\.count must be at most 2 items/);
    expect(() => encodeCnxRequestFile([close, close, close], { maxFileBytes: bytes.length - 1 })).toThrow(/CXNCLIENT1 must be at most/);
  });

  test('a one-byte field exactly where the writer outgrows its first 256 bytes (found by the round-trip property)', () => {
    // 9 (USERPROF1) + 4 (count) + 4 (ID) + 2 (prefix) + 237 (name) = 256: the privilege byte is byte 256.
    const profiles: LegacyProfileInfo[] = [{ profileId: 1, name: 'p'.repeat(237), privilege: 'default' }];
    const bytes = b().ascii('USERPROF1').i32(1).u32(1).str('p'.repeat(237)).u8(0).build();
    expect(bytes.length).toBe(257);
    both(profiles, bytes, encodeProfilesFile, decodeProfilesFile);
  });

  test('errors name the message at fault', () => {
    const bytes = b()
      .ascii('GMSG1')
      .u32(5)
      .u8(1)
      .i32(2)
      .message({ id: 1, reqId: 0, code: 11, ticks: T_2018, data: [] })
      .message({ id: 2, reqId: 0, code: 99, ticks: T_2018, data: [] })
      .build();
    expectErr(decodeGovDialogFile(bytes), { code: 'corrupt', field: 'dialog.messages[1].code', offset: 5 + 9 + 21 + 8 });
    expect(() => encodeProfilesFile([{ profileId: 1, name: 'a', privilege: 'default' }, { profileId: 1, name: ' ', privilege: 'default' }])).toThrow(
      /profiles\[1\]\.name/,
    );
  });

  test('limits must be positive integers (local misuse throws)', () => {
    expect(() => decodeGovDialogFile(new Uint8Array(0), { maxCount: 0 })).toThrow(RangeError);
    expect(() => resolveLegacyLimits({ maxFileBytes: 1.5 })).toThrow(/limits\.maxFileBytes/);
    expect(resolveLegacyLimits({ maxCount: 5 })).toEqual({ ...DEFAULT_LEGACY_LIMITS, maxCount: 5 });
  });
});

describe('file names', () => {
  test('<ID> is uppercase hexadecimal without leading zeros (.NET "X")', () => {
    expect(legacyDialogFileNames(0x1a2b)).toEqual({ hub: '1A2B.hub', gov: '1A2B.gov' });
    expect(legacyDialogFileNames(1)).toEqual({ hub: '1.hub', gov: '1.gov' });
    expect(legacyDialogFileNames(0xffffffff)).toEqual({ hub: 'FFFFFFFF.hub', gov: 'FFFFFFFF.gov' });
    expect(legacyClientIdHex(0x00abcdef)).toBe('ABCDEF');
    expect(LEGACY_FILE_NAMES).toEqual({ cnxRequests: 'cxnreq.hub', cnxResponses: 'cxnresp.gov', profiles: 'profiles.gov' });
  });

  test('ids must be non-zero uint32', () => {
    for (const bad of [0, -1, 2 ** 32, 1.5, Number.NaN]) expect(() => legacyDialogFileNames(bad)).toThrow(RangeError);
    expect(() => legacyDialogFileNames('1A' as unknown as number)).toThrow(TypeError);
  });

  test('parsing accepts exactly the canonical names', () => {
    expect(parseLegacyDialogFileName('1A2B.hub')).toEqual({ clientId: 0x1a2b, kind: 'hubDialog' });
    expect(parseLegacyDialogFileName('FFFFFFFF.gov')).toEqual({ clientId: 0xffffffff, kind: 'govDialog' });
    for (const bad of ['0.hub', '01A2B.hub', '1a2b.hub', '100000000.gov', '1A2B.HUB', 'cxnreq.hub', '.gov', '1A2B.gov.tmp']) {
      expect(parseLegacyDialogFileName(bad)).toBeNull();
    }
  });
});

describe('ticks ⇄ epoch milliseconds', () => {
  test('fixed points', () => {
    expect(ticksToEpochMs(UNIX_EPOCH_TICKS)).toBe(0);
    expect(ticksToEpochMs(T_2018)).toBe(Date.UTC(2018, 3, 1));
    expect(ticksToEpochMs(0n)).toBe(-62_135_596_800_000);
    expect(ticksToEpochMs(DOTNET_MAX_TICKS)).toBe(253_402_300_799_999);
    expect(epochMsToTicks(0)).toBe(621_355_968_000_000_000n);
    expect(epochMsToTicks(Date.UTC(2018, 3, 1))).toBe(T_2018);
    expect(epochMsToTicks(-62_135_596_800_000)).toBe(0n);
    expect(epochMsToTicks(253_402_300_799_999)).toBe(DOTNET_MAX_TICKS - 9_999n);
  });

  test('before 1970 (negative milliseconds) rounds toward −∞, like after', () => {
    expect(ticksToEpochMs(UNIX_EPOCH_TICKS - 1n)).toBe(-1);
    expect(ticksToEpochMs(UNIX_EPOCH_TICKS - 10_000n)).toBe(-1);
    expect(ticksToEpochMs(UNIX_EPOCH_TICKS - 10_001n)).toBe(-2);
    expect(ticksToEpochMs(UNIX_EPOCH_TICKS + 9_999n)).toBe(0);
    expect(ticksRemainder(UNIX_EPOCH_TICKS - 1n)).toBe(9_999);
    expect(ticksRemainder(T_2018 + 1234n)).toBe(1234);
    expect(epochMsToTicks(-1)).toBe(UNIX_EPOCH_TICKS - 10_000n);
  });

  test('out of range and wrong types throw', () => {
    expect(() => ticksToEpochMs(-1n)).toThrow(RangeError);
    expect(() => ticksToEpochMs(DOTNET_MAX_TICKS + 1n)).toThrow(RangeError);
    expect(() => ticksToEpochMs(5 as unknown as bigint)).toThrow(TypeError);
    expect(() => epochMsToTicks(253_402_300_800_000)).toThrow(RangeError);
    expect(() => epochMsToTicks(-62_135_596_800_001)).toThrow(RangeError);
    expect(() => epochMsToTicks(0.5)).toThrow(TypeError);
    expect(() => epochMsToTicks(2 ** 53)).toThrow(TypeError);
    expect(isDotNetTicks(0n)).toBe(true);
    expect(isDotNetTicks(-1n)).toBe(false);
    expect(isDotNetTicks(0)).toBe(false);
  });
});
