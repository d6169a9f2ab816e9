/**
 * A hub restart mid-dialog loses nothing acknowledged (architecture §4
 * "Durability", docs/protocol.md §3.3 and §6.6), end to end: a `Hub` on a
 * `JournalStore` in a temp dir, a client engine on a real socket, messages
 * flowing both ways when the hub goes away.
 *
 * - **Crash**: the hub runs in a child process (helpers/hub-process.ts) and
 *   is killed with SIGKILL — no close, no snapshot, its `LOCK` left behind
 *   by a dead pid. (Abandoning a hub in-process cannot emulate that: the
 *   store's lock is also held in a per-process table, and the abandoned
 *   hub's handlers and sockets would keep running.) A new process opens the
 *   same directory (taking the stale lock over) and the engine resumes.
 *   Every client message the engine saw acknowledged reached the hub's
 *   handler, and the restarted hub's `ok` covers it; every message reached
 *   the handler exactly once per `(clientId, seq)`, except the documented
 *   hand-over again of those whose handling the crash left unconfirmed
 *   (docs/protocol.md §6.6), which the restarted hub announces; every hub
 *   message the hub confirmed reached the client exactly once, in order.
 * - **Graceful restart**: `hub.close()` and a new `Hub` on the same
 *   directory, in-process: then nothing at all is handed over twice.
 */
import { JournalStore } from '@dialoghub/runtime';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { ChildHub, readDeliveryLog } from './helpers/child-hub.js';
import { Engine, registration, startEngine } from './helpers/engine.js';
import { startHub, type HubFixture } from './helpers/hub.js';
import { onCleanup, useCleanup, within } from './helpers/wait.js';

useCleanup();

const ID = 61;

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'dialoghub-e2e-restart-'));
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A port the engine's next connection waits for (the restarted hub listens elsewhere). */
class PortGate {
  private current = PortGate.deferred();
  private static deferred(): { promise: Promise<number>; resolve: (port: number) => void } {
    let resolve!: (port: number) => void;
    const promise = new Promise<number>((r) => (resolve = r));
    return { promise, resolve };
  }
  get(): Promise<number> {
    return this.current.promise;
  }
  open(port: number): void {
    this.current.resolve(port);
  }
  /** From now on connections wait for the next `open`. */
  shut(): void {
    this.current = PortGate.deferred();
  }
}

function countBy<T>(items: readonly T[], key: (t: T) => string): Map<string, number> {
  const m = new Map<string, number>();
  for (const i of items) m.set(key(i), (m.get(key(i)) ?? 0) + 1);
  return m;
}

/** Texts `received` must be `sent` with some left out, in order, none twice. */
function expectOrderedSubset(received: readonly string[], sent: readonly string[]): void {
  let at = 0;
  for (const r of received) {
    const i = sent.indexOf(r, at);
    expect(i, `"${r}" out of order or repeated`).toBeGreaterThanOrEqual(at);
    at = i + 1;
  }
}

describe('a hub restart mid-dialog loses nothing acknowledged', () => {
  test('crash: SIGKILL the hub process, restart it on the same journal, the engine resumes', async () => {
    const tmp = tempDir();
    const dataDir = join(tmp, 'data');
    const log = join(tmp, 'deliveries.log');
    const gate = new PortGate();

    const one = await ChildHub.start(dataDir, log, '1');
    gate.open(one.port);
    expect(await one.child.outcome(one.child.command('profile'))).toMatchObject({ ok: true });
    const e = startEngine({ port: () => gate.get(), credentials: registration(ID) });
    await e.online();

    const up: string[] = [];
    const refs: number[] = [];
    const down: { child: ChildHub; id: number; text: string }[] = [];
    const sendUp = (text: string) => {
      up.push(text);
      refs.push(e.send(text));
      return refs[refs.length - 1]!;
    };
    const sendDown = (child: ChildHub, text: string) => down.push({ child, id: child.command('send', { clientId: ID, text }), text });

    // The dialog is under way...
    for (let i = 0; i < 30; i++) sendUp(`up a${i}`);
    for (let i = 0; i < 10; i++) sendDown(one.child, `down a${i}`);
    await e.acknowledged(refs);
    await e.received(10);
    // ...then both sides stream, one message each per turn of the event loop, and the hub dies in the middle.
    // The handler of `up hold` never finishes in this run: what follows it is acknowledged but not yet handled.
    let streaming = true;
    let holdRef = 0;
    const stream = (async () => {
      for (let i = 0; streaming; i++) {
        if (i === 5) holdRef = sendUp('up hold');
        else sendUp(`up b${i}`);
        sendDown(one.child, `down b${i}`);
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    })();
    await within(e.events.until(() => (holdRef > 0 && e.acked.has(holdRef + 10) ? true : undefined)), 'ten messages acknowledged after `up hold`');
    gate.shut();
    await one.child.kill();
    await e.nth('offline', 1);
    streaming = false;
    await stream;
    // Everything the engine saw acknowledged by the dead hub (every frame it sent was read before the link ended).
    const ackedByDeadHub = e.snapshot().context.dialog.outAcked;
    const holdSeq = up.indexOf('up hold') + 1;
    const confirmedDown = new Set(down.filter((d) => d.child === one.child && one.child.okIds().has(d.id)).map((d) => d.text));
    expect(ackedByDeadHub).toBeGreaterThanOrEqual(holdSeq + 10);
    expect(ackedByDeadHub, 'client messages unacknowledged at the crash').toBeLessThan(up.length);
    expect(confirmedDown.size, 'hub messages confirmed before the crash').toBeGreaterThanOrEqual(10);
    expect(confirmedDown.size, 'hub messages unconfirmed at the crash').toBeLessThan(down.length);

    const two = await ChildHub.start(dataDir, log, '2');
    gate.open(two.port);
    const back = await e.nth('online', 2);
    expect(back.relogon).toBe(true);
    const ok = Engine.answers(e.link).find((a) => a.code === 'ok');
    expect(ok?.code === 'ok' && ok.lastReceived, "the restarted hub's ok covers everything it acknowledged").toBeGreaterThanOrEqual(ackedByDeadHub);

    // The dialog goes on with the new process.
    for (let i = 0; i < 20; i++) sendUp(`up c${i}`);
    for (let i = 0; i < 10; i++) sendDown(two.child, `down c${i}`);
    for (const d of down.filter((x) => x.child === two.child)) expect(await two.child.outcome(d.id)).toMatchObject({ ok: true });
    await e.acknowledged(refs);
    await within(e.events.until(() => (e.messages().some((m) => m.text === 'down c9') ? true : undefined)), 'the last hub message');
    await two.child.close();

    // ---- client → hub: by (clientId, seq), through the delivery log of both runs.
    const lines = readDeliveryLog(log);
    const headers = lines.filter((l): l is Extract<typeof l, { replays: string[] }> => 'replays' in l);
    expect(headers.map((h) => h.run)).toEqual(['1', '2']);
    expect(headers[0]!.replays).toEqual([]);
    const replays = new Set(headers[1]!.replays);
    const delivered = lines.filter((l): l is Extract<typeof l, { seq: number }> => 'seq' in l);
    expect(delivered.every((d) => d.clientId === ID)).toBe(true);
    const key = (d: { clientId: number; seq: number }) => `${d.clientId}/${d.seq}`;
    // One text per key; the keys in seq order carry exactly what the engine sent, nothing lost, nothing under two keys.
    const textOf = new Map<string, string>();
    for (const d of delivered) {
      expect(textOf.get(key(d)) ?? d.text, `text of ${key(d)}`).toBe(d.text);
      textOf.set(key(d), d.text);
    }
    const bySeq = [...new Map(delivered.map((d) => [d.seq, d.text])).entries()].sort((a, b) => a[0] - b[0]);
    expect(bySeq.map(([seq]) => seq)).toEqual(up.map((_, i) => i + 1));
    expect(bySeq.map(([, t]) => t)).toEqual(up);
    // Exactly once per key, except a hand-over again of what the crash left unconfirmed (announced by run 2).
    const run1 = countBy(delivered.filter((d) => d.run === '1'), key);
    const run2 = countBy(delivered.filter((d) => d.run === '2'), key);
    for (const k of textOf.keys()) {
      if (replays.has(k)) {
        expect([run1.get(k) ?? 0, run2.get(k) ?? 0], `${k}: replayed after the crash`).toSatisfy(([a, b]: number[]) => a! <= 1 && b === 1);
      } else {
        expect((run1.get(k) ?? 0) + (run2.get(k) ?? 0), `${k}: deliveries`).toBe(1);
      }
    }
    // What the dead hub acknowledged long before it died, its handler had got (the `up a…` batch)...
    for (let seq = 1; seq <= 30; seq++) expect(run1.get(`${ID}/${seq}`), `${ID}/${seq} handled before the crash`).toBe(1);
    // ...and what it acknowledged but had not finished handling (`up hold` and everything after it), the
    // restarted hub hands over again: once, and not one of them had reached the handler after `up hold`.
    for (let seq = holdSeq; seq <= ackedByDeadHub; seq++) expect(replays.has(`${ID}/${seq}`), `${ID}/${seq} replayed`).toBe(true);
    for (let seq = holdSeq + 1; seq <= ackedByDeadHub; seq++) expect(run1.get(`${ID}/${seq}`), `${ID}/${seq} not handled before the crash`).toBeUndefined();
    // Every other acknowledged one was handled before the crash or is replayed (the general rule above covers the count).
    for (let seq = 1; seq <= ackedByDeadHub; seq++) expect(run1.has(`${ID}/${seq}`) || replays.has(`${ID}/${seq}`), `${ID}/${seq} acknowledged`).toBe(true);

    // ---- hub → client: each seq once, in order; everything either hub confirmed arrived.
    const received = e.messages();
    expect([...countBy(received, (m) => String(m.seq))].filter(([, n]) => n > 1)).toEqual([]);
    const texts = received.map((m) => m.text);
    expectOrderedSubset(texts, down.map((d) => d.text));
    for (const t of confirmedDown) expect(texts, `confirmed before the crash: ${t}`).toContain(t);
    for (const d of down.filter((x) => x.child === two.child)) expect(texts).toContain(d.text);
    expect(texts.length).toBeLessThanOrEqual(down.length);

    expect(e.count('stopped')).toBe(0);
    expect(e.clientId).toBe(ID);
  });

  test('graceful: close the hub mid-dialog, open a new one on the same journal; nothing is handed over twice', async () => {
    const dir = tempDir();
    const gate = new PortGate();
    const h1 = await startHub({ store: await JournalStore.open({ dir }) });
    gate.open(h1.port);
    const e = startEngine({ port: () => gate.get(), credentials: registration(ID) });
    await e.online();

    const up: string[] = [];
    const refs: number[] = [];
    const down: string[] = [];
    const exchange = (h: HubFixture, tag: string, n: number) => {
      const sent: Promise<void>[] = [];
      for (let i = 0; i < n; i++) {
        up.push(`up ${tag}${i}`);
        refs.push(e.send(`up ${tag}${i}`));
        down.push(`down ${tag}${i}`);
        sent.push(h.send(ID, `down ${tag}${i}`));
      }
      return Promise.all(sent);
    };
    const firstSends = exchange(h1, 'a', 40);
    await e.acknowledged(refs.slice(0, 10));
    gate.shut();
    await firstSends;
    await h1.close(); // every link is told `shutdown` (reconnect: true)
    await e.nth('offline', 1);
    expect(Engine.closeFrame(e.links[0]!)).toEqual({ reason: 'shutdown', reconnect: true });
    const ackedByFirst = e.snapshot().context.dialog.outAcked;

    const h2 = await startHub({ store: await JournalStore.open({ dir }), profile: false });
    gate.open(h2.port);
    expect((await e.nth('online', 2)).relogon).toBe(true);
    const ok = Engine.answers(e.link).find((a) => a.code === 'ok');
    expect(ok?.code === 'ok' && ok.lastReceived).toBeGreaterThanOrEqual(ackedByFirst);
    await exchange(h2, 'b', 20);
    await e.acknowledged(refs);
    await e.received(down.length);

    const delivered = [...h1.deliveries.items, ...h2.deliveries.items];
    expect([...countBy(delivered, (d) => `${d.clientId}/${d.seq}`)].filter(([, n]) => n > 1)).toEqual([]);
    expect(delivered.map((d) => d.seq)).toEqual(up.map((_, i) => i + 1));
    expect(delivered.map((d) => d.text)).toEqual(up);
    const received = e.messages();
    expect([...countBy(received, (m) => String(m.seq))].filter(([, n]) => n > 1)).toEqual([]);
    expect(received.map((m) => m.text)).toEqual(down);
    expect(e.count('stopped')).toBe(0);
  });
});
