/**
 * The legacy bridge's state file: what it keeps, that a load gives back what
 * was saved, that a corrupt or inconsistent file is refused with a clear
 * error (never guessed at), and that the file holding secrets is private.
 */
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BridgeStateError, emptyBridgeState, fileStateStore, memoryStateStore, parseBridgeState, stringifyBridgeState, type BridgeState } from '../src/index.js';

function sample(): BridgeState {
  const s = emptyBridgeState();
  s.lastRequestId = 41;
  s.lastResponseId = 17;
  s.answers.push({ id: 17, reqId: 41, code: 'ok', clientId: 0xabc, at: 1_700_000_000_000 });
  s.clients.set(0xabc, {
    secret: 's3cret',
    status: 'enabled',
    hubAcked: 5,
    hubForwarded: 7,
    session: {
      inSeqBase: 12,
      legacyIn: 3,
      legacyOut: 2,
      gov: [
        { id: 1, reqId: 0, type: 'sync', hubSeq: 6, at: 1 },
        { id: 2, reqId: 3, type: 'ok', hubSeq: 7, at: 2 },
      ],
      linked: true,
    },
  });
  s.clients.set(7, { secret: 'x', status: 'banned', hubAcked: 0, hubForwarded: 0, session: null });
  return s;
}

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

describe('legacy bridge state', () => {
  it('round-trips through its JSON document', () => {
    const s = sample();
    expect(parseBridgeState(stringifyBridgeState(s))).toEqual(s);
  });

  it.each([
    ['not JSON', '{', /not JSON/],
    ['another version', JSON.stringify({ version: 2 }), /unknown version 2/],
    ['a negative counter', stringifyBridgeState(sample()).replace('"lastRequestId":41', '"lastRequestId":-1'), /lastRequestId must be a uint32/],
    ['a client key that is no ClientID', stringifyBridgeState(sample()).replace('"2748"', '"0x1"'), /is not a ClientID/],
    ['an empty secret', stringifyBridgeState(sample()).replace('"s3cret"', '""'), /secret must be a non-empty string/],
    ['an unknown status', stringifyBridgeState(sample()).replace('"banned"', '"gone"'), /status is not a status/],
    ['.gov ids out of order', stringifyBridgeState(sample()).replace('{"id":2,', '{"id":1,'), /ids must increase/],
    ['a .gov id above legacyOut', stringifyBridgeState(sample()).replace('"legacyOut":2', '"legacyOut":1'), /ids must increase up to legacyOut/],
    ['a session without linked', stringifyBridgeState(sample()).replace(',"linked":true', ''), /session\.linked must be true or false/],
    ['an unknown answer code', stringifyBridgeState(sample()).replace('"code":"ok"', '"code":"maybe"'), /not an answer code/],
  ])('refuses %s', (_what, text, message) => {
    expect(() => parseBridgeState(text, 'state.json')).toThrow(BridgeStateError);
    expect(() => parseBridgeState(text, 'state.json')).toThrow(message);
  });

  it('a file store starts empty, saves privately and atomically, and loads what it saved', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dh-bridge-state-'));
    dirs.push(dir);
    const path = join(dir, 'legacy-bridge.json');
    const store = fileStateStore(path);
    expect(await store.load()).toEqual(emptyBridgeState());
    await store.save(sample());
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await fileStateStore(path).load()).toEqual(sample());
    const next = sample();
    next.lastRequestId = 42;
    await store.save(next);
    expect((await store.load()).lastRequestId).toBe(42);
    // No temporary file is left behind.
    await expect(stat(`${path}.tmp`)).rejects.toThrow();
  });

  it('a corrupt file is an error naming the file, not an empty state', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dh-bridge-state-'));
    dirs.push(dir);
    const path = join(dir, 'legacy-bridge.json');
    await writeFile(path, stringifyBridgeState(sample()).slice(0, 40));
    await expect(fileStateStore(path).load()).rejects.toThrow(`legacy bridge state ${path}: not JSON`);
    expect(await readFile(path, 'utf8')).toHaveLength(40);
  });

  it('a memory store keeps a copy: later changes to the live state do not leak into it', async () => {
    const store = memoryStateStore();
    const s = sample();
    await store.save(s);
    s.lastRequestId = 99;
    s.clients.get(0xabc)!.session!.gov.length = 0;
    const loaded = await store.load();
    expect(loaded.lastRequestId).toBe(41);
    expect(loaded.clients.get(0xabc)!.session!.gov).toHaveLength(2);
  });
});
