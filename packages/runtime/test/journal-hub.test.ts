/**
 * The journal store under a real `Hub`: state survives a restart, and raw
 * client secrets never reach the data directory (docs/protocol.md §10).
 */
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkInvariants, clientDialogOf, verifierOf, type ClientId, type HubInput, type LinkId, type ProfileId } from '@dialoghub/core';
import { Hub, JournalStore, ManualClock, openTrace, readLatestSnapshot, type HubTransport, type TransportCommand, type TransportEvent } from '../src/index.js';
import { records } from './fixtures/records.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dh-hub-journal-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const SECRET = 'Sup3r-Secret-Value-0123456789abcdef';

class TestTransport implements HubTransport {
  sink: (e: TransportEvent) => void = () => undefined;
  readonly executed: TransportCommand[] = [];
  async start(sink: (e: TransportEvent) => void): Promise<void> {
    this.sink = sink;
  }
  async execute(c: TransportCommand): Promise<void> {
    this.executed.push(c);
  }
  async stop(): Promise<void> {}
}

async function allBytes(path: string): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for (const name of await readdir(path)) {
    const p = join(path, name);
    if ((await stat(p)).isDirectory()) out.push(...(await allBytes(p)));
    else out.push(await readFile(p));
  }
  return out;
}

async function openHub(transport: TestTransport, clock: ManualClock) {
  const store = await JournalStore.open({ dir });
  const hub = await Hub.open({ transport, store, clock, entropy: { secret: () => SECRET }, config: { appMessageTypes: ['chat'] }, snapshotEvery: 3 });
  return hub;
}

describe('JournalStore under a Hub', () => {
  it('keeps raw secrets off the disk and restores the hub after a restart', async () => {
    const clock = new ManualClock(1_000_000);
    const transport = new TestTransport();
    const hub = await openHub(transport, clock);
    expect(await hub.operate({ type: 'profileCreated', profileId: 1 as ProfileId, name: 'shop' })).toMatchObject({ ok: true });
    transport.sink({
      type: 'requestReceived',
      link: 1 as LinkId,
      request: { kind: 'register', requestId: 1, clientId: 11 as ClientId, profileId: 1 as ProfileId, contact: { name: 'a', phone: '', email: '' }, environment: {} },
    });
    await hub.drain();
    const ok = transport.executed.find((c) => c.type === 'reply' && c.answer.code === 'ok');
    expect(ok).toMatchObject({ answer: { code: 'ok', clientId: 11, secret: SECRET } });
    // The client proves its secret on a second link (the credential travels raw), then sends a message.
    transport.sink({
      type: 'requestReceived',
      link: 2 as LinkId,
      request: { kind: 'login', requestId: 2, clientId: 11 as ClientId, credential: { secret: SECRET }, environment: null, lastReceived: 0 },
    });
    transport.sink({ type: 'messagesReceived', link: 2 as LinkId, messages: [{ seq: 1, ack: 0, body: { type: 'app', appType: 'chat', payload: new Uint8Array([1, 2]), replyTo: 0 } }] });
    await hub.drain();
    await hub.close();

    const needle = Buffer.from(SECRET, 'utf8');
    const files = await allBytes(dir);
    // Control: the grep does read the hub's durable bytes (the snapshot keeps the verifier as 32 raw bytes).
    expect(files.some((b) => b.includes(Buffer.from(verifierOf(SECRET), 'hex')))).toBe(true);
    for (const bytes of files) {
      expect(bytes.includes(needle)).toBe(false);
      expect(bytes.includes(Buffer.from(SECRET, 'utf16le'))).toBe(false);
      expect(bytes.includes(Buffer.from(needle.toString('base64')))).toBe(false);
    }

    // The files say which hub they belong to: its resolved config and creation time (replay from seq 1 needs them).
    const trace = await openTrace(dir);
    expect(trace.header).toMatchObject({ kind: 'journal', hubCreatedAt: 1_000_000, config: { policy: 'replaceOld', appMessageTypes: ['chat'] } });
    expect(trace.header.firstSeq).toBe((await readLatestSnapshot(dir))!.seq + 1);

    const again = await openHub(new TestTransport(), clock);
    const client = again.state.clients.get(11 as ClientId)!;
    expect(client).toMatchObject({ id: 11, status: 'enabled', verifier: verifierOf(SECRET), proven: true });
    expect(clientDialogOf(again.state, client)?.inSeq).toBe(1);
    expect(checkInvariants(again.state)).toEqual([]);
    await again.close();
  });

  it('refuses a record that still carries a raw secret, before writing anything', async () => {
    const store = await JournalStore.open({ dir });
    await store.recover();
    await store.append(records(1, 1));
    const file = join(dir, 'journal-1.dhj');
    const size = (await stat(file)).size;
    const register: HubInput = {
      type: 'requestReceived',
      link: 1 as LinkId,
      request: { kind: 'register', requestId: 1, clientId: 5 as ClientId, profileId: 1 as ProfileId, contact: { name: '', phone: '', email: '' }, environment: {} },
      issued: { secret: SECRET },
    };
    await expect(store.append([{ seq: 2, now: 0, input: register }])).rejects.toMatchObject({ code: 'rawSecret' });
    const login: HubInput = {
      type: 'requestReceived',
      link: 1 as LinkId,
      request: { kind: 'start', requestId: 1, clientId: 5 as ClientId, credential: { secret: SECRET }, environment: {}, lastReceived: 0 },
    };
    await expect(store.append([{ seq: 2, now: 0, input: login }])).rejects.toMatchObject({ code: 'rawSecret' });
    expect((await stat(file)).size).toBe(size);
    await store.append(records(2, 2));
    await store.close();
  });
});
