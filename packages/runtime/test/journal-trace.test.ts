/**
 * The read side of the trace format (readTrace, openTrace, journalStats) and
 * the trace writer; the file layout pinned byte by byte as
 * docs/trace-format.md specifies it.
 */
import { mkdtemp, readFile, rm, stat, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ClientId, HubCommand, LinkId } from '@dialoghub/core';
import { defaultRecordCodec, JournalStore, journalStats, openTrace, readTrace, TraceWriter, type TraceRecord } from '../src/index.js';
import { encodeFileHeader, framePayloads } from '../src/journal/format.js';
import { records } from './fixtures/records.js';

const codec = defaultRecordCodec();

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dh-trace-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function collect(it: AsyncIterable<TraceRecord>): Promise<TraceRecord[]> {
  const out: TraceRecord[] = [];
  for await (const r of it) out.push(r);
  return out;
}

const reply = (secret: string | null): HubCommand => ({
  type: 'reply',
  commandId: 1 as never,
  link: 1 as LinkId,
  requestId: 1,
  answer: { code: 'ok', clientId: 9 as ClientId, status: 'enabled', secret, lastReceived: 0, lastSent: 0 },
});

describe('trace files', () => {
  it('lays a file out as specified: magic, version, kind, CRC-checked JSON header, then framed records', async () => {
    const path = join(dir, 'run.dht');
    const w = await TraceWriter.create(path, { config: { policy: 'replaceOld' }, hubCreatedAt: 42, extra: { seed: 7 } });
    await w.write(records(1, 2));
    await w.close();
    const b = await readFile(path);
    expect([...b.subarray(0, 8)]).toEqual([0x89, 0x44, 0x48, 0x54, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(b.readUInt16LE(8)).toBe(1); // format version
    expect(b[10]).toBe(2); // kind: trace
    expect(b[11]).toBe(0); // flags
    const h = b.readUInt32LE(12);
    const json = b.subarray(20, 20 + h);
    expect(b.readUInt32LE(16)).toBe(crc32(json));
    expect(JSON.parse(json.toString())).toMatchObject({ codec: 'dialoghub-record', seq: 1, hubCreatedAt: 42, config: { policy: 'replaceOld' }, seed: 7 });
    let at = 20 + h;
    for (const r of records(1, 2)) {
      const payload = codec.encode(r);
      expect(b.readUInt32LE(at)).toBe(payload.length);
      expect(b.readUInt32LE(at + 4)).toBe(crc32(payload));
      expect(b.subarray(at + 8, at + 8 + payload.length)).toEqual(Buffer.from(payload));
      at += 8 + payload.length;
    }
    expect(at).toBe(b.length);
  });

  it('matches the worked example of docs/trace-format.md §8', () => {
    const header = encodeFileHeader('journal', { codec: 'dialoghub-record', seq: 1, createdAt: '2026-01-01T00:00:00.000Z', hubCreatedAt: 1767225600000, config: null });
    const frame = framePayloads([codec.encode({ seq: 1, now: 1767225600250, input: { type: 'timerFired' } })]);
    const file = Buffer.concat([header, frame]);
    const hex = (b: Uint8Array) => Buffer.from(b).toString('hex').toUpperCase().match(/../g)!.join(' ');
    expect(file.length).toBe(158);
    expect(hex(file.subarray(0, 20))).toBe('89 44 48 54 0D 0A 1A 0A 01 00 01 00 76 00 00 00 BB 6C 8E 8D');
    expect(file.subarray(20, 138).toString()).toBe('{"codec":"dialoghub-record","seq":1,"createdAt":"2026-01-01T00:00:00.000Z","hubCreatedAt":1767225600000,"config":null}');
    expect(hex(file.subarray(138))).toBe('0C 00 00 00 5E 35 D0 AC 01 01 FA A8 DA 76 9B 01 00 00 0F 00');
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
  });

  it('writes and reads back records with their (redacted) commands', async () => {
    const path = join(dir, 'run.dht');
    const w = await TraceWriter.create(path, { firstSeq: 5 });
    const recs: TraceRecord[] = records(5, 9).map((r) => ({ ...r, commands: [reply(null), { type: 'commit' }] }));
    await Promise.all([w.write(recs.slice(0, 2)), w.write(recs.slice(2))]);
    await w.close();
    const trace = await openTrace(path, {});
    expect(trace.header).toMatchObject({ kind: 'trace', version: 1, codec: 'dialoghub-record', firstSeq: 5, hubCreatedAt: null });
    expect(await collect(trace.records())).toEqual(recs);
    expect(trace.tail).toBeNull();
  });

  it('refuses a raw secret in a command, and records out of order', async () => {
    const w = await TraceWriter.create(join(dir, 'run.dht'), {});
    await expect(w.write([{ ...records(1, 1)[0]!, commands: [reply('raw')] }])).rejects.toMatchObject({ code: 'rawSecret' });
    await expect(w.write(records(2, 2))).rejects.toMatchObject({ code: 'misuse' });
    await w.close();
  });

  it('reports a torn tail without changing the file', async () => {
    const path = join(dir, 'run.dht');
    const w = await TraceWriter.create(path, {});
    await w.write(records(1, 4));
    await w.close();
    const size = (await stat(path)).size;
    await truncate(path, size - 5);
    const trace = await openTrace(path, {});
    expect((await collect(trace.records())).map((r) => r.seq)).toEqual([1, 2, 3]);
    expect(trace.tail).toMatchObject({ file: path, reason: 'record cut short by the end of the file' });
    expect((await stat(path)).size).toBe(size - 5);
  });

  it('reads a data directory holding only a snapshot (as a hub leaves it on close) as an empty journal after it', async () => {
    const data = join(dir, 'data');
    const store = await JournalStore.open({ dir: data });
    await store.recover();
    await store.append(records(1, 5));
    await store.snapshot(new Uint8Array([1, 2, 3]), 5);
    await store.close();
    const trace = await openTrace(data);
    expect(trace.header).toMatchObject({ kind: 'journal', firstSeq: 6, codec: 'dialoghub-record' });
    expect(trace.files).toEqual([]);
    expect(await collect(trace.records())).toEqual([]);
    expect(await journalStats(data)).toMatchObject({ segments: [], records: 0, snapshot: { seq: 5 } });
  });

  it('reads a data directory as one stream across segments, and counts it', async () => {
    const data = join(dir, 'data');
    const store = await JournalStore.open({ dir: data, segmentBytes: 400 });
    await store.recover();
    for (let s = 1; s <= 24; s += 4) await store.append(records(s, s + 3));
    await store.snapshot(new Uint8Array([9, 9, 9]), 10);
    await store.close();
    const stats = await journalStats(data);
    const first = stats.segments[0]!.firstSeq;
    expect((await collect(readTrace(data, {}))).map((r) => r.seq)).toEqual(records(first, 24).map((r) => r.seq));
    expect(stats.snapshot).toMatchObject({ seq: 10, file: 'snapshot-10.dhs' });
    expect(stats.snapshotFiles).toBe(1);
    expect(stats.segments.length).toBeGreaterThan(1);
    expect(stats.segments.at(-1)!.lastSeq).toBe(24);
    expect(stats.records).toBe(24 - stats.segments[0]!.firstSeq + 1);
    expect(stats.segments[0]!.firstSeq).toBeLessThanOrEqual(11);
    expect(stats.bytes).toBeGreaterThan(stats.segments.reduce((a, s) => a + s.bytes, 0));
  });
});
