/**
 * Theory of operation: the `journal` suite, the embedded default store on the
 * real disk (docs/runtime.md §4 quotes its figures).
 *
 * 1. A realistic input stream: the core suite's population and closed-loop
 *    workload (bench/core), recorded, redacted as the driver journals it, with
 *    `now` rounded up to whole milliseconds as a real clock gives it.
 * 2. Commit rates, each in a fresh directory under the OS temp dir (a real
 *    file system here, not tmpfs): `commit_rate_fsync_each` appends one input
 *    per call (one fdatasync per input); `commit_rate_group` appends batches of
 *    GROUP inputs (one fdatasync per batch, as the driver does under load).
 *    Both count durable inputs per second of wall time, sync included.
 * 3. `recover_decode_rate`: the journal's own share of recovery (open, read,
 *    CRC-check and decode every record, then drop it).
 *    `replay_rate`: a journal of REPLAY_INPUTS inputs after a snapshot is
 *    recovered as `Hub.open` does it for a store that cannot stream: the store reads, CRC-checks and decodes
 *    every record into an array, the snapshot is deserialized, and every input
 *    is stepped. `replay_rate_streaming` does the same through `recoverEach`,
 *    stepping each record as it is decoded (nothing accumulates on the heap;
 *    what `Hub.open` does with `JournalStore`).
 *    One warm-up, then the median of three timed runs, each; the recorded
 *    stream is released first, so the heap holds only what recovery builds.
 * 4. `snapshot_bytes` (the snapshot file of the hub at the end of the stream),
 *    `snapshot_write` (serialize and make it durable), `snapshot_pause` (the
 *    longest slice of the serialization: the longest the driver waits, as it
 *    runs between slices and while the file is written) and
 *    `snapshot_restore` (read and verify the file, `deserialize`).
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deserialize, redactInput, serialize, step, type HubState } from '@dialoghub/core';
import { JournalStore, journalStats, SNAPSHOT_SLICE, type JournalRecord } from '../../packages/runtime/src/index.js';
import { populate } from '../core/population.js';
import { slicedCost } from '../core/snapshot.js';
import { Workload } from '../core/workload.js';
import type { Suite, SuiteContext } from '../suites.js';
import { clock, collect, median, seconds, sig } from '../timing.js';

/**
 * Registered clients of the recorded hub. Recovery's cost is `step`'s plus the journal's; at
 * 100 000 clients this VM's page-fault cost for a multi-GB heap dominated every figure (see
 * docs/runtime.md §6), so the suite measures a 10 000-client hub, whose state stays small.
 */
const CLIENTS = 10_000;
const REPLAY_INPUTS = 1_000_000;
const QUICK = { clients: 10_000, inputs: 100_000 };
/** Inputs per append for the group-commit figure (the driver's batches under load; its cap is 4096). */
const GROUP = 256;
/** Wall time each commit measurement runs for. */
const COMMIT_SECONDS = 3;
const TARGETS = { gain: 20, replay: 500_000 } as const;

export const suite: Suite = {
  name: 'journal',
  description: 'the journal store on the real disk: group commit vs fsync per input, recovery (decode + step), snapshots',
  async run(ctx) {
    const clients = ctx.options.quick ? QUICK.clients : CLIENTS;
    const inputs = ctx.options.quick ? QUICK.inputs : REPLAY_INPUTS;
    const root = await mkdtemp(join(tmpdir(), 'dh-bench-journal-'));
    try {
      ctx.progress(`recording ${inputs.toLocaleString('en-US')} inputs of the core workload on ${clients.toLocaleString('en-US')} clients…`);
      let stream: { start: HubState; records: JournalRecord[] } | null = recordStream(clients, inputs);
      await commitRates(ctx, root, stream.records);
      const dir = await writeJournal(ctx, root, stream.start, stream.records);
      stream = null; // recovery is measured with only what it builds itself on the heap
      const end = await replayRates(ctx, dir, clients, inputs);
      await snapshotFigures(ctx, root, end);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  },
};

/** The core suite's workload, as journal records (redacted, whole-millisecond `now`). */
function recordStream(clients: number, count: number): { start: HubState; records: JournalRecord[] } {
  const seed = 0x10c0 + clients;
  const work = new Workload(populate(clients, seed, () => undefined), seed ^ 0x9e3779b9);
  work.settle(30_000);
  const rec = work.record(count);
  const records: JournalRecord[] = new Array(count);
  let now = 0;
  for (let i = 0; i < count; i++) {
    now = Math.max(now, Math.ceil(rec.nows[i]!));
    records[i] = { seq: i + 1, now, input: redactInput(rec.inputs[i]!) };
  }
  return { start: rec.start, records };
}

async function commitRate(root: string, name: string, records: readonly JournalRecord[], batch: number): Promise<{ rate: number; appends: number; seconds: number }> {
  const store = await JournalStore.open({ dir: join(root, name) });
  await store.recover();
  await store.append(records.slice(0, 1)); // creates the segment outside the timed region
  let next = 1;
  let appends = 0;
  const t0 = clock();
  const deadline = t0 + BigInt(COMMIT_SECONDS * 1e9);
  while (clock() < deadline && next + batch <= records.length) {
    await store.append(records.slice(next, next + batch));
    next += batch;
    appends++;
  }
  const s = seconds(clock() - t0);
  await store.close();
  await rm(join(root, name), { recursive: true });
  return { rate: (appends * batch) / s, appends, seconds: s };
}

async function commitRates(ctx: SuiteContext, root: string, records: readonly JournalRecord[]): Promise<void> {
  ctx.progress(`commit rates: ${COMMIT_SECONDS} s each, one input per fdatasync, then ${GROUP} per fdatasync…`);
  const each = await commitRate(root, 'fsync-each', records, 1);
  ctx.report({ name: 'commit_rate_fsync_each', value: Math.round(each.rate), unit: 'inputs/s', batch: 1, appends: each.appends, fsync_ms: sig((each.seconds * 1000) / each.appends) });
  const group = await commitRate(root, 'group', records, GROUP);
  ctx.report({ name: 'commit_rate_group', value: Math.round(group.rate), unit: 'inputs/s', batch: GROUP, appends: group.appends, append_ms: sig((group.seconds * 1000) / group.appends) });
  const gain = group.rate / each.rate;
  ctx.report({ name: 'group_commit_gain', value: sig(gain), unit: 'x', of: 'commit_rate_group / commit_rate_fsync_each', target: `>= ${TARGETS.gain}`, met: gain >= TARGETS.gain });
}

async function writeJournal(ctx: SuiteContext, root: string, start: HubState, records: readonly JournalRecord[]): Promise<string> {
  const dir = join(root, 'replay');
  ctx.progress(`writing a journal of ${records.length.toLocaleString('en-US')} inputs after a snapshot…`);
  const writer = await JournalStore.open({ dir });
  await writer.recover();
  await writer.snapshot(serialize(start), 0);
  for (let i = 0; i < records.length; i += 4096) await writer.append(records.slice(i, i + 4096));
  await writer.close();
  return dir;
}

interface ReplayRun {
  readonly seconds: number;
  readonly state: HubState | null;
}

/** The journal's own share: open, read, CRC-check and decode every record, then drop it (no `deserialize`, no `step`). */
async function decodeOnly(dir: string): Promise<ReplayRun> {
  collect();
  const t0 = clock();
  const store = await JournalStore.open({ dir });
  let count = 0;
  await store.recoverEach({ snapshot: () => undefined, record: () => void count++ });
  const s = seconds(clock() - t0);
  await store.close();
  return { seconds: s, state: null };
}

/** `Hub.open`'s path today: `recover()` returns every record in an array, the snapshot is restored, each record is stepped. */
async function replayArray(dir: string): Promise<ReplayRun> {
  collect();
  const t0 = clock();
  const store = await JournalStore.open({ dir });
  const recovered = await store.recover();
  const restored = deserialize(recovered.snapshot!.bytes);
  if (!restored.ok) throw new Error(`snapshot: ${restored.error.message}`);
  let state = restored.value;
  for (const r of recovered.records) state = step(state, r.input, r.now).state;
  const s = seconds(clock() - t0);
  await store.close();
  return { seconds: s, state };
}

/** The streaming path (`recoverEach`): each record is stepped as it is decoded, then dropped. */
async function replayStreaming(dir: string): Promise<ReplayRun> {
  collect();
  const t0 = clock();
  const store = await JournalStore.open({ dir });
  let state: HubState | null = null;
  await store.recoverEach({
    snapshot(snap) {
      const restored = deserialize(snap!.bytes);
      if (!restored.ok) throw new Error(`snapshot: ${restored.error.message}`);
      state = restored.value;
    },
    record(r) {
      state = step(state!, r.input, r.now).state;
    },
  });
  const s = seconds(clock() - t0);
  await store.close();
  return { seconds: s, state };
}

/** One warm-up, then the median of three timed runs. */
async function medianRun(ctx: SuiteContext, label: string, inputs: number, fn: (dir: string) => Promise<ReplayRun>, dir: string): Promise<ReplayRun> {
  ctx.progress(`${label}: one warm-up, three timed runs…`);
  await fn(dir);
  const runs: ReplayRun[] = [];
  for (let i = 0; i < 3; i++) {
    const r = await fn(dir);
    runs.push(r);
    ctx.progress(`  run ${i + 1}: ${Math.round(inputs / r.seconds).toLocaleString('en-US')} records/s`);
  }
  const times = runs.map((r) => r.seconds);
  return runs[times.indexOf(median(times))] ?? runs[0]!;
}

async function replayRates(ctx: SuiteContext, dir: string, clients: number, inputs: number): Promise<HubState> {
  const stats = await journalStats(dir);
  const segmentBytes = stats.segments.reduce((a, s) => a + s.bytes, 0);
  if (stats.records !== inputs) throw new Error(`the journal holds ${stats.records} records, not ${inputs}`);
  const common = { clients, inputs, journal_bytes: segmentBytes, bytes_per_record: sig(segmentBytes / inputs) };
  const decode = await medianRun(ctx, 'recover_decode_rate', inputs, decodeOnly, dir);
  ctx.report({ name: 'recover_decode_rate', ...common, value: Math.round(inputs / decode.seconds), unit: 'records/s', of: 'open + read + CRC-32 + decode, records dropped (the journal alone)' });
  let end: HubState | null = null;
  for (const [name, fn, of] of [
    ['replay_rate', replayArray, 'recover() into an array, deserialize, step each (Hub.open with a store that cannot stream)'],
    ['replay_rate_streaming', replayStreaming, 'recoverEach(): deserialize, then step each record as it is decoded (Hub.open with JournalStore)'],
  ] as const) {
    const mid = await medianRun(ctx, name, inputs, fn, dir);
    end = mid.state;
    const rate = inputs / mid.seconds;
    ctx.report({ name, ...common, value: Math.round(rate), unit: 'inputs/s', of, seconds: sig(mid.seconds), target: `>= ${TARGETS.replay}`, met: rate >= TARGETS.replay });
  }
  return end!;
}

/** The snapshot of the hub as the stream left it: its file size and the time to restore it. */
async function snapshotFigures(ctx: SuiteContext, root: string, end: HubState): Promise<void> {
  const snapDir = join(root, 'snapshot');
  const store = await JournalStore.open({ dir: snapDir });
  await store.recover();
  await store.append([{ seq: 1, now: end.now, input: { type: 'timerFired' } }]);
  // As the hub makes a periodic snapshot: a slice at a time (the loop runs between two), then the store.
  const sliced = await slicedCost(end, SNAPSHOT_SLICE);
  const w0 = clock();
  await store.snapshot(sliced.bytes, 1);
  const write = sliced.seconds + seconds(clock() - w0);
  await store.close();
  const size = (await stat(join(snapDir, 'snapshot-1.dhs'))).size;
  ctx.report({ name: 'snapshot_bytes', clients: end.clients.size, value: size, unit: 'bytes', per_client: sig(size / end.clients.size) });
  ctx.report({ name: 'snapshot_write', clients: end.clients.size, value: sig(write), unit: 's', of: 'serialize + write + fdatasync + rename + directory sync: until the snapshot is durable' });
  ctx.report({
    name: 'snapshot_pause',
    clients: end.clients.size,
    value: sig(sliced.longestMs),
    unit: 'ms',
    of: `the longest slice of serializeInSlices(state, ${JSON.stringify(SNAPSHOT_SLICE)}): the longest the driver is held by a periodic snapshot (it runs between slices and while the file is written)`,
    slices: sliced.slices,
    medianSliceMs: sig(sliced.medianMs),
    serializeSeconds: sig(sliced.seconds),
    longestGcMs: sig(sliced.longestGcMs),
  });
  const restores: number[] = [];
  for (let i = 0; i < 3; i++) {
    collect();
    const t0 = clock();
    const s = await JournalStore.open({ dir: snapDir });
    const rec = await s.recover();
    const restored = deserialize(rec.snapshot!.bytes);
    const t = seconds(clock() - t0);
    await s.close();
    if (!restored.ok) throw new Error(restored.error.message);
    restores.push(t);
  }
  ctx.report({ name: 'snapshot_restore', clients: end.clients.size, value: sig(median(restores)), unit: 's', of: 'read + CRC + deserialize (invariants verified)' });
}
