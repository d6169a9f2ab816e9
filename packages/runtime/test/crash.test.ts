/**
 * THE crash test: a real process running a `Hub` on a `JournalStore` is
 * killed with SIGKILL at seeded moments, again and again, on the same data
 * directory, and nothing any client or operator saw acknowledged may be lost.
 *
 * The child (fixtures/crash-hub.ts) reports each acknowledged effect on
 * stdout after the hub revealed it. The parent kills it after the K-th
 * reported effect of the run (K drawn from a seeded RNG; the child keeps
 * working while the kill is on its way, so the kill lands anywhere in its
 * loop: mid-write, mid-fsync, mid-snapshot). After every kill the parent
 * recovers a copy of the data directory itself (open the store, deserialize
 * the snapshot, step the records: what the next run will start from) and
 * checks every effect reported so far plus `checkInvariants`; then it restarts
 * the child on the original directory, which recovers it for real (torn-tail
 * truncation included). The last run is stopped gracefully and checked too.
 *
 * No sleeps: the parent only waits on the child's stdout lines and exit.
 */
import { spawn } from 'node:child_process';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { checkInvariants, clientDialogOf, deserialize, step, type ClientId, type HubState, type ProfileId } from '@dialoghub/core';
import { JournalStore } from '../src/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(here, '../../..');
const FIXTURE = join(here, 'fixtures', 'crash-hub.ts');
const SEED = 20_240_611;
const KILLS = 24;

function mulberry32(s: number): () => number {
  let a = s >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Effect =
  | { kind: 'PROFILE'; id: number }
  | { kind: 'REG'; id: number }
  | { kind: 'MSG'; id: number; seq: number }
  | { kind: 'STATUS'; id: number; status: string };

/** Every line the children printed, in order, across runs. */
interface Ledger {
  effects: Effect[];
  /** Per client: the statuses asked for after its last acknowledged status (any of them may be durable). */
  statusAfterAck: Map<number, { acked: string | null; since: Set<string> }>;
}

function observe(ledger: Ledger, line: string): boolean {
  const [kind, a, b] = line.split(' ');
  const id = Number(a);
  switch (kind) {
    case 'PROFILE':
    case 'REG':
      ledger.effects.push({ kind, id });
      return true;
    case 'MSG':
      ledger.effects.push({ kind, id, seq: Number(b) });
      return true;
    case 'STATUS': {
      ledger.effects.push({ kind, id, status: b! });
      ledger.statusAfterAck.set(id, { acked: b!, since: new Set() });
      return true;
    }
    case 'INTENT': {
      const s = ledger.statusAfterAck.get(id) ?? { acked: null, since: new Set<string>() };
      s.since.add(b!);
      ledger.statusAfterAck.set(id, s);
      return false;
    }
    default:
      return false;
  }
}

interface RunResult {
  readonly effects: number;
  readonly killed: boolean;
}

/** Runs the child once; kills it after `killAfter` effects, or stops it gracefully when `killAfter` is null (after `stopAfter`). */
function runChild(dataDir: string, run: number, ledger: Ledger, killAfter: number | null, stopAfter: number): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['--conditions=@dialoghub/source', '--import', 'tsx', FIXTURE, dataDir, String(SEED), String(run)], {
      cwd: ROOT,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => (stderr += d));
    let effects = 0;
    let signalled = false;
    let closed = false;
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      if (signalled) return; // lines after the kill was sent may be cut short: count only what came before
      if (line === 'CLOSED') closed = true;
      if (!observe(ledger, line)) return;
      effects++;
      if (killAfter !== null && effects >= killAfter) {
        signalled = true;
        child.kill('SIGKILL');
      } else if (killAfter === null && effects === stopAfter) {
        child.stdin.write('stop\n');
      }
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      lines.close();
      if (killAfter !== null && signal === 'SIGKILL' && signalled) resolvePromise({ effects, killed: true });
      else if (killAfter === null && code === 0 && closed) resolvePromise({ effects, killed: false });
      else reject(new Error(`run ${run}: child exited with code ${code} signal ${signal} after ${effects} effect(s)\n${stderr}`));
    });
  });
}

/** Recovers the hub's state from a data directory exactly as the next run will: snapshot, then the records after it. */
async function recoverState(dataDir: string): Promise<HubState> {
  const store = await JournalStore.open({ dir: dataDir });
  try {
    const { snapshot, records } = await store.recover();
    if (snapshot === null) throw new Error(`${dataDir}: no snapshot`);
    const restored = deserialize(snapshot.bytes);
    if (!restored.ok) throw new Error(`${dataDir}: snapshot does not restore: ${restored.error.message}`);
    let state = restored.value;
    let seq = snapshot.seq;
    for (const r of records) {
      expect(r.seq).toBe(seq + 1);
      state = step(state, r.input, r.now).state;
      seq = r.seq;
    }
    return state;
  } finally {
    await store.close();
  }
}

/** Every acknowledged effect reported so far is in `state`; returns how many were checked. */
function checkEffects(state: HubState, ledger: Ledger, when: string): number {
  const lost: string[] = [];
  for (const e of ledger.effects) {
    switch (e.kind) {
      case 'PROFILE':
        if (!state.profiles.has(e.id as ProfileId)) lost.push(`profile ${e.id}`);
        break;
      case 'REG':
        if (!state.clients.has(e.id as ClientId)) lost.push(`registration of client ${e.id}`);
        break;
      case 'MSG': {
        const client = state.clients.get(e.id as ClientId);
        const inSeq = client === undefined ? -1 : (clientDialogOf(state, client)?.inSeq ?? -1);
        if (inSeq < e.seq) lost.push(`message ${e.seq} of client ${e.id} (handled inSeq ${inSeq})`);
        break;
      }
      case 'STATUS': {
        const client = state.clients.get(e.id as ClientId);
        const s = ledger.statusAfterAck.get(e.id)!;
        // The last acknowledged status, unless a later change (asked for, perhaps durable, perhaps not yet acknowledged) replaced it.
        if (s.acked === e.status && (client === undefined || (client.status !== s.acked && !s.since.has(client.status)))) {
          lost.push(`status ${e.status} of client ${e.id} (now ${client?.status ?? 'missing'}, later asked: ${[...s.since].join(',') || 'none'})`);
        }
        break;
      }
    }
  }
  expect({ when, lost: lost.slice(0, 10), lostCount: lost.length }).toEqual({ when, lost: [], lostCount: 0 });
  expect({ when, invariants: checkInvariants(state) }).toEqual({ when, invariants: [] });
  return ledger.effects.length;
}

it('loses no acknowledged effect across repeated SIGKILLs', { timeout: 110_000 }, async () => {
  const root = await mkdtemp(join(tmpdir(), 'dh-crash-'));
  const dataDir = join(root, 'data');
  const rng = mulberry32(SEED);
  const ledger: Ledger = { effects: [], statusAfterAck: new Map() };
  let kills = 0;
  let checks = 0;
  try {
    for (let run = 0; run <= KILLS; run++) {
      const last = run === KILLS;
      const k = 5 + Math.floor(rng() * 120);
      const result = await runChild(dataDir, run, ledger, last ? null : k, k);
      if (result.killed) kills++;
      // What the next run recovers from: checked on a copy, so the child's own recovery repairs the original.
      const copy = join(root, `after-${run}`);
      await cp(dataDir, copy, { recursive: true });
      const state = await recoverState(copy);
      checks += checkEffects(state, ledger, `after run ${run} (${result.killed ? 'killed' : 'stopped'} after ${result.effects} effects)`);
      await rm(copy, { recursive: true });
    }
    // And the original directory, as the last (graceful) run left it.
    checks += checkEffects(await recoverState(dataDir), ledger, 'at the end');
  } finally {
    await rm(root, { recursive: true, force: true });
  }
  const distinct = ledger.effects.length;
  console.log(`crash test: ${kills} kills, ${distinct} acknowledged effects checked (${checks} checks in ${KILLS + 2} recoveries)`);
  expect(kills).toBeGreaterThanOrEqual(20);
  expect(distinct).toBeGreaterThan(500);
});
