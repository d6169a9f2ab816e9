/**
 * The legacy Hub client simulator (legacy-fleet.ts) against a tiny governor
 * scripted by hand in each test: it writes `cxnresp.gov`, `profiles.gov` and
 * `<ID>.gov` straight onto ftp-srv's disk with the legacy codec's encoders
 * (gzip + NOT), and reads back what the simulated clients uploaded
 * (`cxnreq.hub`, `<ID>.hub`). Nothing runs on a timer: every client timer
 * callback is a `tick()` called by the test.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import {
  decodeCnxPayload,
  decodeCnxRequestFile,
  decodeDialogPayload,
  decodeHubDialogFile,
  decodeLegacyTransfer,
  encodeCnxPayload,
  encodeCnxRequestFile,
  encodeCnxResponseFile,
  encodeDialogPayload,
  encodeGovDialogFile,
  encodeLegacyTransfer,
  encodeProfilesFile,
  epochMsToTicks,
  legacyDialogFileNames,
  type LegacyClientStatus,
  type LegacyCnxAnswerCode,
  type LegacyHubDialog,
  type LegacyMessage,
} from '../src/legacy/index.js';
import { LegacyFleetClient, type LegacyFleetClientOptions } from './legacy-fleet.js';
import { startFtpSrv, type TestServer } from './servers.js';

const DIR = 'hub/dlg';
const T0 = Date.UTC(2018, 4, 22, 9, 30);

let server: TestServer | null = null;
const clients: LegacyFleetClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) await c.close();
  await server?.dispose();
  server = null;
});

// ---- the scripted governor -----------------------------------------------------------

function path(name: string): string {
  return join(server!.diskRoot, DIR, name);
}

/** Puts a plain legacy file on the server, transfer-encoded, written aside and renamed into place. */
function put(name: string, plain: Uint8Array): void {
  mkdirSync(join(server!.diskRoot, DIR), { recursive: true });
  writeFileSync(`${path(name)}.part`, encodeLegacyTransfer(plain));
  renameSync(`${path(name)}.part`, path(name));
}

function plainOf(name: string): Uint8Array {
  const r = decodeLegacyTransfer(new Uint8Array(readFileSync(path(name))));
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

/** What the governor's Initialize writes (§7), plus a published profile list. */
function initGovernor(): void {
  put('cxnreq.hub', encodeCnxRequestFile([]));
  put('cxnresp.gov', encodeCnxResponseFile([]));
  put('profiles.gov', encodeProfilesFile([{ profileId: 1, name: 'Inspection', privilege: 'default' }]));
}

function answer(id: number, reqId: number, code: LegacyCnxAnswerCode, clientId: number, rest: Uint8Array = new Uint8Array(0)): LegacyMessage {
  return { id, reqId, timestamp: epochMsToTicks(T0), ...encodeCnxPayload({ type: code, clientId, rest }) };
}

function putAnswers(...answers: LegacyMessage[]): void {
  put('cxnresp.gov', encodeCnxResponseFile(answers));
}

function govMessage(id: number, code: 'sync' | 'null' | 'ok', reqId = 0): LegacyMessage {
  return { id, reqId, timestamp: epochMsToTicks(T0), ...encodeDialogPayload({ type: code }) };
}

function putGov(clientId: number, status: LegacyClientStatus, messages: LegacyMessage[] = []): void {
  put(legacyDialogFileNames(clientId).gov, encodeGovDialogFile({ clientId, status, messages }));
}

function requests(): LegacyMessage[] {
  const r = decodeCnxRequestFile(plainOf('cxnreq.hub'));
  if (!r.ok) throw new Error(r.error.message);
  return [...r.value];
}

/** The decoded payloads of cxnreq.hub, with the request ids. */
function requestPayloads(): { id: number; payload: unknown }[] {
  return requests().map((m) => {
    const p = decodeCnxPayload(m);
    if (!p.ok) throw new Error(p.error.message);
    return { id: m.id, payload: p.value };
  });
}

function hub(clientId: number): LegacyHubDialog {
  const r = decodeHubDialogFile(plainOf(legacyDialogFileNames(clientId).hub), undefined, clientId);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

/** `[id, reqId, code]` of each message of `<ID>.hub`. */
function hubSummary(clientId: number): [number, number, string][] {
  return hub(clientId).messages.map((m) => [m.id, m.reqId, m.code]);
}

// ---- clients ------------------------------------------------------------------------------

function ids(...list: number[]): () => number {
  const queue = [...list];
  return () => {
    const next = queue.shift();
    if (next === undefined) throw new Error('no more client ids');
    return next;
  };
}

function client(options: Partial<LegacyFleetClientOptions> = {}): LegacyFleetClient {
  const c = new LegacyFleetClient({
    server: { host: server!.options.host ?? '127.0.0.1', port: server!.options.port ?? 21 },
    dir: DIR,
    profileId: 1,
    contact: { name: 'Karim', phone: '+213 21 11 22 33', email: 'karim@douane.gov.dz' },
    nextClientId: ids(0xa1, 0xa2, 0xa3),
    nowMs: () => T0,
    ...options,
  });
  clients.push(c);
  return c;
}

/** A client registered through NewConnection → Ok, its dialog running. */
async function registeredClient(options: Partial<LegacyFleetClientOptions> = {}): Promise<LegacyFleetClient> {
  const c = client(options);
  await c.launch();
  const id = c.clientId!;
  putGov(id, 'enabled');
  putAnswers(answer(1, requests().length, 'ok', id));
  await c.tick();
  expect(c.phase).toBe('running');
  return c;
}

describe('legacy Hub client simulator (§9) against a scripted governor on ftp-srv', () => {
  test('registration Ok: profiles read, NewConnection posted as request 1, empty .hub uploaded, running without a Start', async () => {
    server = await startFtpSrv();
    initGovernor();
    const c = client();
    await c.launch();
    expect(c.phase).toBe('registering');
    expect(requestPayloads()).toEqual([
      {
        id: 1,
        payload: {
          type: 'newConnection',
          info: { clientId: 0xa1, profileId: 1, contactName: 'Karim', contactPhone: '+213 21 11 22 33', contactEmail: 'karim@douane.gov.dz' },
          environment: expect.objectContaining({ architecture: 'win7sp1x64' }),
        },
      },
    ]);
    expect(requests()[0]).toMatchObject({ reqId: 0, timestamp: epochMsToTicks(T0) });

    // Nothing yet: keep waiting, no re-post.
    await c.tick();
    expect([c.phase, requests().length]).toEqual(['registering', 1]);

    putGov(0xa1, 'enabled');
    putAnswers(answer(1, 1, 'ok', 0xa1));
    await c.tick();
    expect([c.phase, c.status, c.clientId]).toEqual(['running', 'enabled', 0xa1]);
    expect(hub(0xa1)).toEqual({ clientId: 0xa1, messages: [] });
    expect(requests().map((m) => m.code)).toEqual(['newConnection']);
    expect(c.events).toContain('registered 161');
  });

  test('registration: no profiles.gov → exit noProfiles, nothing posted', async () => {
    server = await startFtpSrv();
    put('cxnreq.hub', encodeCnxRequestFile([]));
    const c = client();
    await c.launch();
    expect([c.phase, c.exitReason]).toEqual(['exited', 'noProfiles']);
    expect(requests()).toEqual([]);
  });

  test('registration: three polls without any answer → the request is posted again', async () => {
    server = await startFtpSrv();
    initGovernor();
    const c = client();
    await c.launch();
    await c.tick();
    await c.tick();
    expect(requests().map((m) => m.id)).toEqual([1]);
    await c.tick();
    expect(requestPayloads().map((r) => [r.id, (r.payload as { info: { clientId: number } }).info.clientId])).toEqual([
      [1, 0xa1],
      [2, 0xa1],
    ]);
  });

  test('registration InvalidID → a new ClientID from nextClientId, re-posted, then Ok under the new id', async () => {
    server = await startFtpSrv();
    initGovernor();
    const c = client();
    await c.launch();
    putAnswers(answer(1, 1, 'invalidId', 0xa1));
    await c.tick();
    expect(c.clientId).toBe(0xa2);
    expect(requestPayloads().map((r) => [r.id, (r.payload as { info: { clientId: number } }).info.clientId])).toEqual([
      [1, 0xa1],
      [2, 0xa2],
    ]);
    putAnswers(answer(1, 1, 'invalidId', 0xa1), answer(2, 2, 'ok', 0xa2));
    await c.tick();
    expect([c.phase, c.clientId]).toEqual(['running', 0xa2]);
    expect(hub(0xa2).messages).toEqual([]);
  });

  test('registration Rejected and InvalidProfile end the application', async () => {
    server = await startFtpSrv();
    initGovernor();
    const a = client({ nextClientId: ids(0xb1) });
    await a.launch();
    putAnswers(answer(1, 1, 'rejected', 0xb1));
    await a.tick();
    expect([a.phase, a.exitReason]).toEqual(['exited', 'registrationRejected']);

    const b = client({ nextClientId: ids(0xb2) });
    await b.launch();
    expect(requests().map((m) => m.id)).toEqual([1, 2]);
    putAnswers(answer(1, 1, 'rejected', 0xb1), answer(2, 2, 'invalidProfile', 0xb2));
    await b.tick();
    expect([b.phase, b.exitReason]).toEqual(['exited', 'invalidProfile']);
  });

  test('"request lost": a newer answer for someone else, none for me → re-post with max + 1 of the file', async () => {
    server = await startFtpSrv();
    initGovernor();
    const c = client();
    await c.launch();
    // Another client posted request 2 after mine; the governor answered it, and not my request 1.
    const other = { id: 2, reqId: 0, timestamp: epochMsToTicks(T0), ...encodeCnxPayload({ type: 'resume', clientId: 0x77 }) };
    put('cxnreq.hub', encodeCnxRequestFile([...requests(), other]));
    putAnswers(answer(1, 2, 'ok', 0x77));
    await c.tick();
    expect(c.events).toContain('request lost: re-post');
    expect(requestPayloads().map((r) => [r.id, r.payload])).toEqual([
      [1, expect.objectContaining({ type: 'newConnection' })],
      [2, { type: 'resume', clientId: 0x77 }],
      [3, expect.objectContaining({ type: 'newConnection', info: expect.objectContaining({ clientId: 0xa1 }) })],
    ]);
    expect(c.phase).toBe('registering');
    putAnswers(answer(1, 2, 'ok', 0x77), answer(2, 3, 'ok', 0xa1));
    await c.tick();
    expect(c.phase).toBe('running');
  });

  test('B16: two clients post concurrently; the second upload overwrites the first request; the loser re-posts when it sees an answer to its id for someone else', async () => {
    server = await startFtpSrv();
    initGovernor();
    const b = client({ nextClientId: ids(0xbb) });
    let interleaved = false;
    const a = client({
      nextClientId: ids(0xaa),
      beforeCnxUpload: async () => {
        if (interleaved) return;
        interleaved = true;
        await b.launch(); // B downloads the same (empty) file, posts id 1 and uploads, all between A's download and A's upload
      },
    });
    await a.launch();
    expect(b.events).toContain('post newConnection id=1');
    expect(a.events).toContain('post newConnection id=1');
    // Both chose id 1; A's upload came last: B's request is gone.
    expect(requestPayloads().map((r) => [r.id, (r.payload as { info: { clientId: number } }).info.clientId])).toEqual([[1, 0xaa]]);

    putGov(0xaa, 'enabled');
    putAnswers(answer(1, 1, 'ok', 0xaa));
    await a.tick();
    await b.tick();
    expect(a.phase).toBe('running');
    expect(b.events).toContain('request lost: re-post');
    expect(requestPayloads().map((r) => [r.id, (r.payload as { info: { clientId: number } }).info.clientId])).toEqual([
      [1, 0xaa],
      [2, 0xbb],
    ]);
  });

  test('Start: .gov Enabled → Start posted with max + 1 → Ok → running; the proxy Log reaches .hub at the next dialog tick', async () => {
    server = await startFtpSrv();
    initGovernor();
    // Three older requests in the file: the Start gets id 4.
    put('cxnreq.hub', encodeCnxRequestFile([1, 2, 3].map((id) => ({ id, reqId: 0, timestamp: epochMsToTicks(T0), ...encodeCnxPayload({ type: 'resume', clientId: 0x99 }) }))));
    putGov(0x1a2b, 'enabled');
    const c = client({ clientId: 0x1a2b });
    await c.launch();
    expect([c.phase, c.status]).toEqual(['starting', 'enabled']);
    const start = requestPayloads().at(-1)!;
    expect(start).toEqual({ id: 4, payload: { type: 'start', clientId: 0x1a2b, environment: expect.any(Object), startTime: epochMsToTicks(T0) } });
    expect(requests().length).toBe(4);

    // The Ok echoes the request data (ClientID first).
    const startData = requests()[3]!.data;
    putAnswers(answer(7, 4, 'ok', 0x1a2b, startData.subarray(4)));
    await c.tick();
    expect(c.phase).toBe('running');
    expect(c.clientLastMsgId).toBe(1);

    await c.tick(); // first dialog tick: the local .hub (with the Log) is uploaded
    const messages = hub(0x1a2b).messages;
    expect(messages.map((m) => [m.id, m.reqId, m.code])).toEqual([[1, 0, 'log']]);
    expect(decodeDialogPayload(messages[0]!)).toMatchObject({ ok: true, value: { type: 'log', isError: false, text: expect.any(String) } });
  });

  test('Start: Rejected → exit startRejected, no Close (the dialog never ran)', async () => {
    server = await startFtpSrv();
    initGovernor();
    putGov(0x1a2b, 'enabled');
    const c = client({ clientId: 0x1a2b });
    await c.launch();
    putAnswers(answer(1, 1, 'rejected', 0x1a2b));
    await c.tick();
    expect([c.phase, c.exitReason]).toEqual(['exited', 'startRejected']);
    expect(c.events).not.toContain('post close id=1');
  });

  test('Start: no .gov at launch → assume Enabled and Start (§9.1 step 3)', async () => {
    server = await startFtpSrv();
    initGovernor();
    const c = client({ clientId: 0x5eed });
    await c.launch();
    expect([c.phase, c.status]).toEqual(['starting', 'enabled']);
    expect(requestPayloads()).toEqual([{ id: 1, payload: expect.objectContaining({ type: 'start', clientId: 0x5eed }) }]);
  });

  test('Resume: .gov Disabled at launch → Resume posted → Ok → empty .hub uploaded, running', async () => {
    server = await startFtpSrv();
    initGovernor();
    put('cxnreq.hub', encodeCnxRequestFile([1, 2].map((id) => ({ id, reqId: 0, timestamp: epochMsToTicks(T0), ...encodeCnxPayload({ type: 'resume', clientId: 0x99 }) }))));
    putGov(0xc0de, 'disabled');
    const c = client({ clientId: 0xc0de });
    await c.launch();
    expect([c.phase, c.status]).toEqual(['resuming', 'disabled']);
    expect(requestPayloads().at(-1)).toEqual({ id: 3, payload: { type: 'resume', clientId: 0xc0de } });

    putGov(0xc0de, 'enabled');
    putAnswers(answer(1, 3, 'ok', 0xc0de));
    await c.tick();
    expect(c.phase).toBe('running');
    expect(hub(0xc0de)).toEqual({ clientId: 0xc0de, messages: [] });
    // The first dialog tick sees Enabled ≠ m_clStatus (Disabled) and takes it.
    await c.tick();
    expect(c.status).toBe('enabled');
  });

  test('Resume B12: no answer at the first poll → the handler never polls again', async () => {
    server = await startFtpSrv();
    initGovernor();
    putGov(0xc0de, 'disabled');
    const c = client({ clientId: 0xc0de });
    await c.launch();
    await c.tick();
    expect(c.phase).toBe('resumeFailed');
    putAnswers(answer(1, 1, 'ok', 0xc0de));
    await c.tick();
    expect(c.phase).toBe('resumeFailed');
    expect(c.events.at(-1)).toContain('B12');
  });

  test('dialog tick: a governor Sync is answered with Null(reqId = Sync id) and uploaded; old messages are not handled twice', async () => {
    server = await startFtpSrv();
    initGovernor();
    const c = await registeredClient();
    putGov(0xa1, 'enabled', [govMessage(1, 'null'), govMessage(2, 'sync')]);
    await c.tick();
    expect(hubSummary(0xa1)).toEqual([[1, 2, 'null']]);
    expect([c.srvLastMsgId, c.clientLastMsgId, c.ttl]).toEqual([2, 1, 23]);
    expect(c.seen.map((m) => [m.id, m.code])).toEqual([
      [1, 'null'],
      [2, 'sync'],
    ]);
    expect(c.events).toContain('sync answered 2');

    putGov(0xa1, 'enabled', [govMessage(1, 'null'), govMessage(2, 'sync'), govMessage(3, 'sync')]);
    await c.tick();
    await c.tick();
    expect(hubSummary(0xa1)).toEqual([
      [1, 2, 'null'],
      [2, 3, 'null'],
    ]);
    expect(c.seen.map((m) => m.id)).toEqual([1, 2, 3]);
  });

  test('dialog tick: status Disabled → silent (no Close), later ticks do nothing', async () => {
    server = await startFtpSrv();
    initGovernor();
    const c = await registeredClient();
    putGov(0xa1, 'disabled', [govMessage(1, 'sync')]);
    await c.tick();
    expect(c.phase).toBe('silent');
    expect(c.status).toBe('enabled'); // m_clStatus is not updated (B22)
    expect(hub(0xa1).messages).toEqual([]);
    const before = c.events.length;
    putGov(0xa1, 'enabled', [govMessage(1, 'sync')]);
    await c.tick();
    expect(c.events.length).toBe(before);
    expect(c.seen).toEqual([]);
  });

  test('dialog tick: status Banned → exit banned, with a Close uploaded in .hub', async () => {
    server = await startFtpSrv();
    initGovernor();
    const c = await registeredClient();
    c.postLog('hello');
    putGov(0xa1, 'banned');
    await c.tick();
    expect([c.phase, c.exitReason]).toEqual(['exited', 'banned']);
    expect(hubSummary(0xa1)).toEqual([
      [1, 0, 'log'],
      [2, 0, 'close'],
    ]);
    await c.tick();
    expect(c.phase).toBe('exited');
  });

  test('TTL: the 24th dialog tick since the last governor message posts a cnx Sync with ClientID, m_srvLastMsgID, m_clientLastMsgID, then every tick', async () => {
    server = await startFtpSrv();
    initGovernor();
    const c = await registeredClient();
    const before = requests().length;
    putGov(0xa1, 'enabled', [govMessage(5, 'sync')]);
    await c.tick(); // tick 1: the Sync arrives, TTL 24 → 23, Null id 1 posted
    for (let i = 2; i <= 23; i++) await c.tick();
    expect([c.ttl, requests().length]).toEqual([1, before]);
    await c.tick(); // tick 24
    expect(c.ttl).toBe(0);
    const sync = requestPayloads().slice(before);
    expect(sync).toEqual([{ id: before + 1, payload: { type: 'sync', clientId: 0xa1, lastServerMessageId: 5, lastClientMessageId: 1 } }]);
    await c.tick();
    expect(requestPayloads().slice(before).map((r) => r.id)).toEqual([before + 1, before + 2]);
    // A governor message resets the TTL: no more Syncs.
    putGov(0xa1, 'enabled', [govMessage(5, 'sync'), govMessage(6, 'null')]);
    await c.tick();
    expect([c.ttl, requests().length]).toEqual([23, before + 2]);
  });

  test('dialog tick: a .gov download failure leaves the TTL alone', async () => {
    server = await startFtpSrv();
    initGovernor();
    const c = await registeredClient();
    await c.tick();
    expect(c.ttl).toBe(23);
    rmSync(path(legacyDialogFileNames(0xa1).gov));
    await c.tick();
    expect(c.ttl).toBe(23);
    expect(c.events.at(-1)).toBe('gov download failed');
  });

  test('stop posts Close at once; relaunch restarts the counters and Starts again', async () => {
    server = await startFtpSrv();
    initGovernor();
    const c = await registeredClient();
    putGov(0xa1, 'enabled', [govMessage(1, 'sync')]);
    await c.tick();
    await c.stop();
    expect([c.phase, c.exitReason]).toEqual(['exited', 'stopped']);
    expect(hubSummary(0xa1)).toEqual([
      [1, 1, 'null'],
      [2, 0, 'close'],
    ]);
    await c.relaunch();
    expect([c.phase, c.srvLastMsgId, c.clientLastMsgId, c.ttl, c.exitReason]).toEqual(['starting', 0, 0, 24, null]);
    expect(requestPayloads().at(-1)).toMatchObject({ payload: { type: 'start', clientId: 0xa1 } });
  });

  test('Reseted in .gov at runtime → mustReRegister (ClientInfo cleared); the next launch registers under a new id', async () => {
    server = await startFtpSrv();
    initGovernor();
    const c = await registeredClient();
    putGov(0xa1, 'reset');
    await c.tick();
    expect([c.phase, c.exitReason, c.clientId]).toEqual(['mustReRegister', 'reset', null]);
    await c.launch();
    expect([c.phase, c.clientId]).toEqual(['registering', 0xa2]);
    expect(requests().at(-1)).toMatchObject({ code: 'newConnection' });
  });

  test('setInfo uploads .hub at once and returns the message id', async () => {
    server = await startFtpSrv();
    initGovernor();
    const c = await registeredClient();
    const id = await c.setInfo({ name: 'Nadia', phone: '+213 21 44 55 66', email: 'nadia@douane.gov.dz' });
    expect(id).toBe(1);
    const [msg] = hub(0xa1).messages;
    expect(decodeDialogPayload(msg!)).toMatchObject({ ok: true, value: { type: 'setInfo', info: { clientId: 0xa1, contactName: 'Nadia' } } });
    putGov(0xa1, 'enabled', [govMessage(1, 'ok', id)]);
    await c.tick();
    expect(c.seen.map((m) => [m.code, m.reqId])).toEqual([['ok', 1]]);
  });
});
