/**
 * `dialoghub inspect` on data directories written by a real `Hub` over a
 * `JournalStore`: it recovers the state read-only (no lock taken, nothing
 * changed, a torn tail reported but left in place) and refuses a corrupt or
 * foreign directory with one line and exit code 2.
 */
import { appendFile, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runInspect, type InspectSummary } from '../src/index.js';
import { cli, fingerprint, lines, populatedHub, T0 } from './helpers.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dh-cli-inspect-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('dialoghub inspect', () => {
  it('recovers a running hub’s directory without taking its lock or changing a byte', async () => {
    const { hub } = await populatedHub(dir);
    try {
      const before = await fingerprint(dir);
      expect(Object.keys(before)).toContain('LOCK');

      const r = await cli('inspect', dir, '--json');
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      expect(lines(r.out)).toHaveLength(1);
      const s = JSON.parse(r.out) as InspectSummary;

      expect(s.lock).toMatchObject({ pid: process.pid });
      expect(s.counts).toEqual({ profiles: 2, clients: 2, online: 1, offline: 1, statuses: { enabled: 2, disabled: 0, banned: 0, reset: 0 } });
      expect(s.profiles.map((p) => [p.id, p.name, p.enabledClient, p.clients])).toEqual([
        [1, 'shop', 11, 1],
        [2, 'office', 12, 1],
      ]);
      expect(s.clients.find((c) => c.id === 11)).toMatchObject({ profileId: 1, status: 'enabled', online: true, link: 3, name: 'till', inSeq: 2, proven: true });
      expect(s.sessions).toEqual([expect.objectContaining({ link: 3, clientId: 11 })]);
      expect(s.offline).toEqual([expect.objectContaining({ clientId: 12, profileId: 2, status: 'enabled' })]);
      expect(s.hub.seq).toBe(hub.journalSeq);
      expect(s.hub.snapshotSeq).toBe(0);
      expect(s.hub.replayed).toBe(hub.journalSeq);
      expect(s.hub.createdAt).toBe(T0);
      expect(s.hub.config.appMessageTypes).toEqual(['chat']);
      expect(s.journal.records).toBe(hub.journalSeq);
      expect(s.journal.segments).toHaveLength(1);
      expect(s.invariants).toEqual([]);

      // The text form names the same things.
      const text = await cli('inspect', dir);
      expect(text.code).toBe(0);
      expect(text.out).toContain(`LOCK of pid ${process.pid}`);
      expect(text.out).toMatch(/profiles: 2/);
      expect(text.out).toMatch(/offline clients: 1/);
      expect(text.out).toMatch(/office/);
      const one = await cli('inspect', dir, '--limit', '1');
      expect(one.out).toContain('… 1 more (--limit 0 shows all, --json gives everything)');

      expect(await fingerprint(dir)).toEqual(before);
    } finally {
      await hub.close();
    }
  });

  it('reads a directory whose journal was folded into the snapshot by a clean close', async () => {
    const { hub } = await populatedHub(dir);
    const seq = hub.journalSeq;
    await hub.close();
    const s = await runInspect({ dir });
    expect(s.lock).toBeNull();
    expect(s.hub.snapshotSeq).toBe(seq);
    expect(s.hub.seq).toBe(seq);
    expect(s.hub.replayed).toBe(0);
    expect(s.counts.clients).toBe(2);
    expect(s.invariants).toEqual([]);
  });

  it('reports a torn tail and leaves it where it is', async () => {
    const { hub } = await populatedHub(dir);
    try {
      const segment = (await readdir(dir)).find((n) => n.startsWith('journal-'))!;
      await appendFile(join(dir, segment), Buffer.from([0x40, 0, 0, 0, 1, 2, 3]));
      const size = (await stat(join(dir, segment))).size;
      const before = await fingerprint(dir);

      const s = await runInspect({ dir });
      expect(s.journal.segments[0]!.torn).toMatchObject({ bytes: 7 });
      expect(s.notes.join('\n')).toMatch(/torn tail/);
      expect(s.hub.seq).toBe(hub.journalSeq);
      expect((await stat(join(dir, segment))).size).toBe(size);
      expect(await fingerprint(dir)).toEqual(before);
    } finally {
      await hub.close();
    }
  });

  it('refuses a directory whose only snapshot is damaged, with one line and exit code 2', async () => {
    const { hub } = await populatedHub(dir);
    await hub.close(); // a clean close folds the journal into one snapshot
    const snap = (await readdir(dir)).find((n) => n.startsWith('snapshot-'))!;
    await writeFile(join(dir, snap), Buffer.from('not a snapshot'));
    const r = await cli('inspect', dir);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(lines(r.err)).toHaveLength(1);
    expect(r.err).toMatch(/^dialoghub: .*snapshot/);
  });

  it('refuses a damaged record in the middle of a segment (corruption, not a torn tail)', async () => {
    const { hub } = await populatedHub(dir);
    try {
      const segment = join(dir, (await readdir(dir)).find((n) => n.startsWith('journal-'))!);
      const bytes = await readFile(segment);
      // Flip a byte inside the first record's payload: later good records make it corruption.
      const headerLength = 20 + bytes.readUInt32LE(12);
      bytes[headerLength + 8 + 2] ^= 0xff;
      await writeFile(segment, bytes);
      const r = await cli('inspect', dir, '--json');
      expect(r.code).toBe(2);
      expect(r.out).toBe('');
      expect(lines(r.err)).toHaveLength(1);
      expect(r.err).toMatch(/^dialoghub: .*journal-1\.dhj at offset \d+/);
    } finally {
      await hub.close().catch(() => undefined);
    }
  });

  it.each([
    ['a missing directory', (d: string) => join(d, 'nope'), /no such file or directory/],
    ['an empty directory', (d: string) => d, /not a dialoghub data directory/],
  ])('refuses %s with one line and exit code 2', async (_what, path, message) => {
    const r = await cli('inspect', path(dir));
    expect(r.code).toBe(2);
    expect(lines(r.err)).toHaveLength(1);
    expect(r.err).toMatch(message);
  });

  it('refuses a file: inspect reads directories', async () => {
    const file = join(dir, 'trace.dht');
    await writeFile(file, 'x');
    const r = await cli('inspect', file);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^dialoghub: .*not a directory/);
  });
});
