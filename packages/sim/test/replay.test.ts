/**
 * Replay: a trace recorded by stepping the real core replays clean; a
 * tampered recorded command is the first divergence at exactly its seq, with
 * the records before it; a tampered input that drives a (deliberately broken)
 * core into a bad state is reported as an invariant violation; the core
 * throwing, gaps in the seqs and a replay from a mid-trace state are handled;
 * and files written with the runtime's TraceWriter (and by the simulator)
 * replay through `replayFile`.
 */
import { appendFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initialState, step, type HubCommand, type HubInput, type HubState, type Step, type TraceRecord } from '@dialoghub/core';
import { TraceWriter } from '@dialoghub/runtime';
import { describe, expect, it } from 'vitest';
import { demoTrace, DEMO_CONFIG, DEMO_EPOCH } from '../src/replay/demo-trace.js';
import { differences, formatReplayReport, recordTrace, replayFile, replayTrace, valuesEqual } from '../src/replay/index.js';
import { simulate } from '../src/simulate.js';

const demo = demoTrace();
const start = (): HubState => initialState(DEMO_CONFIG, DEMO_EPOCH);

/** The records with record `seq`'s commands replaced by `edit(commands)`. */
function tamperCommands(records: readonly TraceRecord[], seq: number, edit: (c: HubCommand[]) => HubCommand[]): TraceRecord[] {
  return records.map((r) => (r.seq === seq ? { ...r, commands: edit([...(r.commands ?? [])]) } : r));
}

function tamperInput(records: readonly TraceRecord[], seq: number, input: HubInput): TraceRecord[] {
  return records.map((r) => (r.seq === seq ? { ...r, input } : r));
}

function seqOf(pred: (r: TraceRecord) => boolean): number {
  const r = demo.records.find(pred);
  if (r === undefined) throw new Error('no such record in the demo trace');
  return r.seq;
}

async function tempDir(): Promise<string> {
  return mkdtempSync(join(tmpdir(), 'dialoghub-replay-'));
}

async function writeTrace(path: string, records: readonly TraceRecord[], extra: Record<string, unknown> = {}): Promise<void> {
  const w = await TraceWriter.create(path, { config: DEMO_CONFIG, hubCreatedAt: DEMO_EPOCH, writer: 'replay.test', extra });
  await w.write(records);
  await w.close();
}

describe('replayTrace', () => {
  it('replays a trace recorded from the core with no divergence and every invariant holding', async () => {
    const report = await replayTrace(demo.records, { initial: start(), restarts: demo.restarts, invariantsEvery: 1 });
    expect(report).toMatchObject({
      inputs: demo.records.length,
      firstSeq: 1,
      lastSeq: demo.records.length,
      compared: demo.records.length,
      divergences: 0,
      invariantChecks: demo.records.length,
      invariantViolations: [],
      restarts: 1,
      notes: [],
    });
    expect(report.first).toBeUndefined();
    expect(report.error).toBeUndefined();
    expect(formatReplayReport(report, { timing: false })).toBe(
      `replay: OK — ${demo.records.length} inputs (seq 1..${demo.records.length}), ${demo.records.length} with recorded commands, 0 divergence(s), ${demo.records.length} invariant check(s), 0 failed, 1 restart(s)`,
    );
  });

  it('starts from initialState(config, hubCreatedAt) and reads an async stream alike', async () => {
    async function* stream(): AsyncGenerator<TraceRecord> {
      yield* demo.records;
    }
    const report = await replayTrace(stream(), { config: DEMO_CONFIG, hubCreatedAt: DEMO_EPOCH });
    expect(report).toMatchObject({ inputs: demo.records.length, divergences: 0, invariantViolations: [], invariantChecks: 1 });
  });

  it('reports a tampered recorded command as the first divergence, at exactly its seq, with the records before it', async () => {
    const seq = seqOf((r) => r.commands?.some((c) => c.type === 'notify' && c.event.type === 'takeover' && c.event.loser === 201) === true);
    const index = demo.records[seq - 1]!.commands!.findIndex((c) => c.type === 'notify' && c.event.type === 'takeover');
    const tampered = tamperCommands(demo.records, seq, (cs) => cs.map((c, i) => (i === index && c.type === 'notify' && c.event.type === 'takeover' ? { ...c, event: { ...c.event, reason: 'pushedOut' } } : c)));
    const report = await replayTrace(tampered, { initial: start(), contextSize: 3 });
    expect(report.divergences).toBe(1);
    expect(report.first).toMatchObject({ seq, now: demo.records[seq - 1]!.now, index, input: demo.records[seq - 1]!.input });
    expect(report.first!.expected).toEqual(tampered[seq - 1]!.commands);
    expect(report.first!.actual).toEqual(demo.records[seq - 1]!.commands);
    expect(report.first!.differences).toEqual([`commands[${index}].event.reason: expected "pushedOut", actual "replaced"`]);
    // The context: the three records before, oldest first.
    expect(report.first!.context).toHaveLength(3);
    expect(report.first!.context.map((l) => l.split(' ')[0])).toEqual([`#${seq - 3}`, `#${seq - 2}`, `#${seq - 1}`]);
    const text = formatReplayReport(report, { timing: false });
    expect(text).toContain(`replay: FAILED`);
    expect(text).toContain(`first divergence at seq ${seq} (now ${demo.records[seq - 1]!.now}), command [${index}]`);
    expect(text).toContain(`- [${index}] notify takeover profile 2 otherClient: 202 wins over 201 (pushedOut)`);
    expect(text).toContain(`+ [${index}] notify takeover profile 2 otherClient: 202 wins over 201 (replaced)`);
    expect(text).toContain(`commands[${index}].event.reason: expected "pushedOut", actual "replaced"`);
    expect(text).toContain(`#${seq - 1} @`);
  });

  it('counts every divergence, and can stop at the first', async () => {
    const a = seqOf((r) => r.input.type === 'appMessageSent');
    const b = seqOf((r) => r.input.type === 'statusSet');
    // A missing command at a, an extra one at b.
    let tampered = tamperCommands(demo.records, a, (cs) => cs.slice(0, -1));
    tampered = tamperCommands(tampered, b, (cs) => [...cs, { type: 'commit' }]);
    const all = await replayTrace(tampered, { initial: start() });
    expect(all.divergences).toBe(2);
    expect(all.inputs).toBe(demo.records.length);
    expect(all.first).toMatchObject({ seq: a, index: demo.records[a - 1]!.commands!.length - 1 });
    expect(all.first!.differences[0]).toMatch(/^commands: expected \d+ items, actual \d+ \(extra: \[\{/);
    const first = await replayTrace(tampered, { initial: start(), stopAtFirstDivergence: true });
    expect(first).toMatchObject({ divergences: 1, inputs: a, lastSeq: a });
  });

  it('compares payloads by their bytes', async () => {
    const seq = seqOf((r) => r.commands?.some((c) => c.type === 'deliver') === true);
    const copyBytes = (cs: HubCommand[]): HubCommand[] => cs.map((c) => (c.type === 'deliver' ? { ...c, payload: Uint8Array.from(c.payload) } : c));
    expect((await replayTrace(tamperCommands(demo.records, seq, copyBytes), { initial: start() })).divergences).toBe(0);
    const flipByte = (cs: HubCommand[]): HubCommand[] => cs.map((c) => (c.type === 'deliver' ? { ...c, payload: Uint8Array.from(c.payload, (x, i) => (i === 0 ? x ^ 1 : x)) } : c));
    const report = await replayTrace(tamperCommands(demo.records, seq, flipByte), { initial: start() });
    expect(report.first?.seq).toBe(seq);
    expect(report.first!.differences[0]).toMatch(/\.payload: expected bytes\(1\) 60, actual bytes\(1\) 61$/);
  });

  it('reports a tampered input that breaks an invariant (here through a deliberately broken core)', async () => {
    // A planted bug: resetting a client forgets to take it out of its profile's enabled slot.
    const brokenStep = (state: HubState, input: HubInput, now: number): Step => {
      const r = step(state, input, now);
      if (input.type !== 'statusSet' || input.status !== 'reset') return r;
      const client = r.state.clients.get(input.clientId)!;
      const profile = r.state.profiles.get(client.profileId)!;
      return { ...r, state: { ...r.state, profiles: r.state.profiles.set(profile.id, { ...profile, enabledClient: client.id }) } };
    };
    // The untampered trace never resets anyone: the broken core replays it clean.
    const clean = await replayTrace(demo.records, { initial: start(), step: brokenStep, invariantsEvery: 1 });
    expect(clean).toMatchObject({ divergences: 0, invariantViolations: [] });
    // The operator's ban of 202 becomes a reset.
    const seq = seqOf((r) => r.input.type === 'statusSet');
    const original = demo.records[seq - 1]!.input;
    if (original.type !== 'statusSet') throw new Error('unexpected');
    const tampered = tamperInput(demo.records, seq, { ...original, status: 'reset' });
    const report = await replayTrace(tampered, { initial: start(), step: brokenStep, invariantsEvery: 1 });
    expect(report.invariantViolations.length).toBeGreaterThan(0);
    expect(report.invariantViolations[0]).toEqual({ seq, now: demo.records[seq - 1]!.now, problems: ['profile 2 names 202 as enabled, which it is not'] });
    // The recorded commands (of the ban) differ from the reset's, at the same seq.
    expect(report.first?.seq).toBe(seq);
    const text = formatReplayReport(report, { timing: false });
    expect(text).toContain(`invariants broken:\n  after seq ${seq} (now ${demo.records[seq - 1]!.now}):\n    - profile 2 names 202 as enabled, which it is not`);
    // With the default interval, the check after the last record still finds it.
    const atEnd = await replayTrace(tampered, { initial: start(), step: brokenStep });
    expect(atEnd.invariantChecks).toBe(1);
    expect(atEnd.invariantViolations[0]?.seq).toBe(demo.records.length);
  });

  it('stops with an error when the core throws on a tampered input', async () => {
    const seq = seqOf((r) => r.input.type === 'requestReceived' && r.input.request.kind === 'register');
    const input = demo.records[seq - 1]!.input;
    if (input.type !== 'requestReceived') throw new Error('unexpected');
    const { issued: _issued, ...withoutSecret } = input;
    const report = await replayTrace(tamperInput(demo.records, seq, withoutSecret), { initial: start() });
    expect(report.error).toEqual({ seq, now: demo.records[seq - 1]!.now, message: expect.stringMatching(/^step threw on requestReceived: a register request must come with the secret/) });
    expect(report.inputs).toBe(seq - 1);
    expect(formatReplayReport(report, { timing: false })).toContain(`stopped at seq ${seq}`);
  });

  it('refuses a gap in the seqs, and replays from a mid-trace state with afterSeq', async () => {
    const gap = await replayTrace(demo.records.filter((r) => r.seq !== 10), { initial: start() });
    expect(gap.error).toMatchObject({ seq: 11, message: 'seq 11 follows seq 9: records are missing' });
    expect(gap.inputs).toBe(9);
    // The state after record 10, as a snapshot would hold it.
    let state = start();
    for (const r of demo.records.slice(0, 10)) state = step(state, r.input, r.now).state;
    const tail = await replayTrace(demo.records, { initial: state, afterSeq: 10 });
    expect(tail).toMatchObject({ inputs: demo.records.length - 10, firstSeq: 11, divergences: 0, invariantViolations: [] });
    const late = await replayTrace(demo.records.slice(12), { initial: state, afterSeq: 10 });
    expect(late.error?.message).toBe('the first record replayed is seq 13, but the initial state is before seq 11');
  });

  it('records a trace the way a trace writer stores it (redacted)', () => {
    const { records } = recordTrace([{ now: 5, input: { type: 'profileCreated', actionId: 'a', profileId: 1 as never, name: 'p' } }], { hubCreatedAt: 0 });
    expect(records).toEqual([
      {
        seq: 1,
        now: 5,
        input: { type: 'profileCreated', actionId: 'a', profileId: 1, name: 'p' },
        commands: [{ type: 'commit' }, { type: 'notify', event: { type: 'profileChanged', profileId: 1, change: 'created', mode: 'auto', policy: null } }, { type: 'actionResult', actionId: 'a', ok: true, reason: null, message: expect.any(String) }],
      },
    ]);
    const register = demo.records.find((r) => r.input.type === 'requestReceived' && r.input.request.kind === 'register')!;
    expect(JSON.stringify(register)).not.toContain('demo-secret');
  });
});

describe('equality and differences', () => {
  it('treats an absent member like an undefined one, NaN like NaN, and byte arrays by value', () => {
    expect(valuesEqual({ a: 1, b: undefined }, { a: 1 })).toBe(true);
    expect(valuesEqual({ a: 1 }, { a: 1, b: 2 })).toBe(false);
    expect(valuesEqual(Number.NaN, Number.NaN)).toBe(true);
    expect(valuesEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2]))).toBe(true);
    expect(valuesEqual(new Uint8Array([1, 2]), [1, 2])).toBe(false);
    expect(valuesEqual([1, [2, { x: 'y' }]], [1, [2, { x: 'y' }]])).toBe(true);
    expect(differences({ a: [1, 2], b: { c: 'x' } }, { a: [1, 3], b: { c: 'y' } }, 'v')).toEqual(['v.a[1]: expected 2, actual 3', 'v.b.c: expected "x", actual "y"']);
  });
});

describe('replayFile', () => {
  it("replays a trace file written with the runtime's TraceWriter, restarts from the header", async () => {
    const path = join(await tempDir(), 'demo.dht');
    await writeTrace(path, demo.records, { restarts: demo.restarts });
    const report = await replayFile(path);
    expect(report).toMatchObject({ path, inputs: demo.records.length, compared: demo.records.length, divergences: 0, invariantViolations: [], restarts: 1, notes: [] });
    expect(report.header['writer']).toBe('replay.test');
  });

  it('replays a journal-like file without commands, and notes a torn tail', async () => {
    const path = join(await tempDir(), 'journal.dht');
    await writeTrace(
      path,
      demo.records.map(({ seq, now, input }) => ({ seq, now, input })),
    );
    appendFileSync(path, Buffer.from([40, 0, 0, 0, 1, 2, 3]));
    const report = await replayFile(path);
    expect(report).toMatchObject({ inputs: demo.records.length, compared: 0, divergences: 0, invariantViolations: [] });
    expect(report.notes).toEqual([expect.stringMatching(/^torn tail in .*journal\.dht at offset \d+ \(7 bytes, .*\): not replayed$/)]);
  });

  it('finds a tampered command in a file', async () => {
    const path = join(await tempDir(), 'tampered.dht');
    await writeTrace(path, tamperCommands(demo.records, 3, (cs) => cs.filter((c) => c.type !== 'commit')));
    const report = await replayFile(path);
    expect(report).toMatchObject({ divergences: 1, first: { seq: 3, index: 0 } });
  });

  it("replays a simulator trace (restarts and all) without divergence", async () => {
    const path = join(await tempDir(), 'sim.dht');
    await simulate({ seed: 11, clients: 40, hours: 0.5, faults: { loss: 0.05, dup: 0.01, reorder: 0.05, crash: 1 }, traceAlways: true, traceFile: path });
    const report = await replayFile(path, { invariantsEvery: 100 });
    expect(report.divergences).toBe(0);
    expect(report.invariantViolations).toEqual([]);
    expect(report.error).toBeUndefined();
    expect(report.inputs).toBeGreaterThan(300);
    expect(report.compared).toBe(report.inputs);
    expect(report.restarts).toBe(1);
  });
});
