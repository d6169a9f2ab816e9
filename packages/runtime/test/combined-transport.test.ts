/**
 * `combineTransports`: one hub serving several transports. The first part
 * runs a real `Hub` on two memory networks (manual delivery, so every step
 * is explicit) whose clients are played by hand; both networks number their
 * links from 1, so the combination must renumber them. The second part drives
 * the combination directly with scripted inner transports, for what a real
 * network will not do on demand: failing to start or stop, reusing a link id,
 * the outer id counter wrapping around.
 */
import { clientId, linkId, profileId, type ClientId, type CommandId, type DialogMessage, type HubEvent, type HubInput, type LinkId } from '@dialoghub/core';
import { createMemoryNetwork, type HubFrame, type LinkEnd, type MemoryClientLink, type MemoryNetwork } from '@dialoghub/adapter-memory';
import { describe, expect, test } from 'vitest';
import {
  CombinedTransport,
  combineTransports,
  Hub,
  ManualClock,
  MemoryStore,
  seededEntropy,
  type HubTransport,
  type TransportCommand,
  type TransportEvent,
} from '../src/index.js';

const utf8 = new TextEncoder();
const text = new TextDecoder();
const NOTE = 'test.note';
const ALICE = clientId(11);
const BOB = clientId(22);

const note = (seq: number, body: string, ack = 0): DialogMessage => ({ seq, ack, body: { type: 'app', appType: NOTE, payload: utf8.encode(body), replyTo: 0 } });

let commandSeq = 0;
const cid = (): CommandId => ++commandSeq as CommandId;
const reply = (link: LinkId): TransportCommand => ({ type: 'reply', commandId: cid(), link, requestId: 1, answer: { code: 'reset', clientId: ALICE } });
const write = (link: LinkId, seq = 1): TransportCommand => ({ type: 'writeDialog', commandId: cid(), link, clientId: ALICE, messages: [note(seq, `w${seq}`)] });
const close = (link: LinkId): TransportCommand => ({ type: 'close', commandId: cid(), link, clientId: ALICE, reason: 'kicked', reconnect: false });

async function settles(p: Promise<unknown>): Promise<string> {
  return p.then(
    () => 'resolved',
    (e: unknown) => `rejected: ${e instanceof Error ? e.message : String(e)}`,
  );
}

// ---- a real hub on two memory networks -------------------------------------------

interface Client {
  readonly link: MemoryClientLink;
  readonly got: HubFrame[];
  readonly ends: LinkEnd[];
}

function client(net: MemoryNetwork): Client {
  const link = net.connect();
  const got: HubFrame[] = [];
  const ends: LinkEnd[] = [];
  link.onReceive((f) => got.push(f));
  link.onClose((e) => ends.push(e));
  return { link, got, ends };
}

const texts = (c: Client): string[] =>
  c.got.flatMap((f) => (f.kind === 'dialog' ? f.messages.flatMap((m) => (m.body.type === 'app' ? [text.decode(m.body.payload)] : [])) : []));

/** Two manual memory networks, one hub on their combination, two profiles to register in. */
async function world() {
  const a = createMemoryNetwork({ delivery: 'manual' });
  const b = createMemoryNetwork({ delivery: 'manual' });
  const combined = combineTransports(a.transport, b.transport);
  const hub = await Hub.open({ transport: combined, store: new MemoryStore(), clock: new ManualClock(1_000), entropy: seededEntropy(1), config: { appMessageTypes: [NOTE] } });
  const inputs: HubInput[] = [];
  const events: HubEvent[] = [];
  const handled: string[] = [];
  hub.observe({ step: (record) => void inputs.push(record.input) });
  hub.onAny((e) => void events.push(e));
  hub.handle(NOTE, (d) => void handled.push(`${d.clientId}:${text.decode(d.payload)}`));
  // One profile per client: a second client registering in the same profile would replace the first.
  await hub.operate({ type: 'profileCreated', profileId: profileId(1), name: 'a' });
  await hub.operate({ type: 'profileCreated', profileId: profileId(2), name: 'b' });
  /** Delivers everything on both networks and lets the hub act, until nothing moves. */
  const settle = async (): Promise<void> => {
    do {
      a.flush();
      b.flush();
      await hub.drain();
    } while (a.pending().length > 0 || b.pending().length > 0);
  };
  const register = async (net: MemoryNetwork, id: ClientId, profile: number): Promise<Client> => {
    const c = client(net);
    c.link.send({ kind: 'request', request: { kind: 'register', requestId: 1, clientId: id, profileId: profileId(profile), contact: { name: `c${id}`, phone: '', email: '' }, environment: {} } });
    await settle();
    expect(c.got[0]).toMatchObject({ kind: 'answer', answer: { code: 'ok', clientId: id } });
    c.got.length = 0;
    return c;
  };
  /** The outer link the hub heard `id`'s registration on. */
  const linkOf = (id: ClientId): LinkId => {
    const input = inputs.find((i) => i.type === 'requestReceived' && i.request.kind === 'register' && i.request.clientId === id);
    if (input === undefined || input.type !== 'requestReceived') throw new Error(`no registration of ${id}`);
    return input.link;
  };
  return { a, b, combined, hub, inputs, events, handled, settle, register, linkOf };
}

describe('one hub on two memory networks', () => {
  test('clients on both networks register and exchange messages; the hub sees distinct link ids although both networks use 1', async () => {
    const w = await world();
    const alice = await w.register(w.a, ALICE, 1);
    const bob = await w.register(w.b, BOB, 2);
    expect([alice.link.id, bob.link.id]).toEqual([1, 1]);

    const aliceLink = w.linkOf(ALICE);
    const bobLink = w.linkOf(BOB);
    expect(aliceLink).not.toBe(bobLink);
    expect(w.combined.routeOf(aliceLink)).toEqual({ index: 0, transport: w.a.transport, link: 1 });
    expect(w.combined.routeOf(bobLink)).toEqual({ index: 1, transport: w.b.transport, link: 1 });
    expect(w.combined.outerLinkOf(w.b.transport, linkId(1))).toBe(bobLink);
    expect(w.events.filter((e) => e.type === 'clientOnline')).toEqual([
      { type: 'clientOnline', clientId: ALICE, link: aliceLink, via: 'register' },
      { type: 'clientOnline', clientId: BOB, link: bobLink, via: 'register' },
    ]);

    alice.link.send({ kind: 'dialog', clientId: ALICE, messages: [note(1, 'from alice')] });
    bob.link.send({ kind: 'dialog', clientId: BOB, messages: [note(1, 'from bob')] });
    await w.settle();
    expect(w.handled).toEqual([`${ALICE}:from alice`, `${BOB}:from bob`]);

    expect(await w.hub.send(ALICE, NOTE, utf8.encode('to alice'))).toMatchObject({ ok: true });
    expect(await w.hub.send(BOB, NOTE, utf8.encode('to bob'))).toMatchObject({ ok: true });
    await w.settle();
    expect(texts(alice)).toEqual(['to alice']);
    expect(texts(bob)).toEqual(['to bob']);
    // Every fact reached the hub under an outer id, each link's in order.
    expect(w.inputs.filter((i) => 'link' in i).map((i) => `${i.type}@${(i as { link: number }).link}`)).toEqual([
      `requestReceived@${aliceLink}`,
      `requestReceived@${bobLink}`,
      `messagesReceived@${aliceLink}`,
      `messagesReceived@${bobLink}`,
    ]);
    await w.hub.close();
  });

  test("an operator kick closes the kicked client's link only, on the right network, with no connectionClosed after it", async () => {
    const w = await world();
    const alice = await w.register(w.a, ALICE, 1);
    const bob = await w.register(w.b, BOB, 2);
    const bobLink = w.linkOf(BOB);

    expect(await w.hub.operate({ type: 'clientKicked', clientId: BOB })).toMatchObject({ ok: true });
    await w.settle();
    expect(bob.got.at(-1)).toEqual({ kind: 'close', reason: 'kicked', reconnect: false });
    expect(bob.ends).toEqual([{ by: 'hub', reason: 'kicked', reconnect: false, detail: null }]);
    expect(alice.got).toEqual([]);
    expect(alice.link.open).toBe(true);
    // The close settled: the mapping is gone, later commands for it reject here, and no fact came for it.
    expect(w.combined.routeOf(bobLink)).toBeUndefined();
    expect(await settles(w.combined.execute(write(bobLink)))).toBe(`rejected: link ${bobLink} is unknown to the combined transport (never opened, or already closed)`);
    expect(w.inputs.filter((i) => i.type === 'connectionClosed')).toEqual([]);

    alice.link.send({ kind: 'dialog', clientId: ALICE, messages: [note(1, 'still here')] });
    await w.settle();
    expect(w.handled).toEqual([`${ALICE}:still here`]);
    await w.hub.close();
  });

  test('a link lost on one network becomes one connectionClosed for its outer link; the other network is untouched', async () => {
    const w = await world();
    const alice = await w.register(w.a, ALICE, 1);
    const bob = await w.register(w.b, BOB, 2);
    const aliceLink = w.linkOf(ALICE);

    alice.link.close();
    await w.settle();
    expect(w.inputs.filter((i) => i.type === 'connectionClosed')).toEqual([{ type: 'connectionClosed', link: aliceLink, cause: 'peerClosed' }]);
    expect(w.events.filter((e) => e.type === 'clientOffline')).toEqual([{ type: 'clientOffline', clientId: ALICE, link: aliceLink, reason: 'connectionLost' }]);
    expect(w.combined.routeOf(aliceLink)).toBeUndefined();

    // Alice comes back on a new link of network A: a new outer id; Bob never noticed.
    const again = client(w.a);
    again.link.send({ kind: 'request', request: { kind: 'profiles', requestId: 2, clientId: ALICE } });
    await w.settle();
    const newLink = w.combined.outerLinkOf(w.a.transport, again.link.id);
    expect(newLink).toBeDefined();
    expect([aliceLink, w.linkOf(BOB)]).not.toContain(newLink);
    expect(again.got.find((f) => f.kind === 'answer')).toMatchObject({ answer: { code: 'profiles' } });
    expect(bob.got).toEqual([]);
    expect(bob.link.open).toBe(true);
    await w.hub.close();
  });

  test('a command for a link no inner transport carries rejects, naming the link', async () => {
    const w = await world();
    await w.register(w.a, ALICE, 1);
    for (const command of [reply(linkId(4242)), write(linkId(4242)), close(linkId(4242))]) {
      expect(await settles(w.combined.execute(command))).toBe('rejected: link 4242 is unknown to the combined transport (never opened, or already closed)');
    }
    await w.hub.close();
  });

  test('hub.close() stops every network: each open link is told `shutdown`', async () => {
    const w = await world();
    const alice = await w.register(w.a, ALICE, 1);
    const bob = await w.register(w.b, BOB, 2);
    await w.hub.close();
    // Manual delivery: the shutdown frames wait in each network's queue until flushed.
    w.a.flush();
    w.b.flush();
    for (const c of [alice, bob]) {
      expect(c.got.at(-1)).toEqual({ kind: 'close', reason: 'shutdown', reconnect: true });
      expect(c.link.open).toBe(false);
    }
    expect(() => w.a.connect()).toThrow(/stopped/);
    expect(() => w.b.connect()).toThrow(/stopped/);
    expect(await settles(w.combined.stop())).toBe('resolved');
  });

  test('if the second transport fails to start, the first is stopped and Hub.open rejects with that error', async () => {
    const a = createMemoryNetwork();
    const failing = new ScriptedTransport();
    failing.startError = new Error('address in use');
    const combined = combineTransports(a.transport, failing);
    await expect(Hub.open({ transport: combined, store: new MemoryStore(), clock: new ManualClock(1_000) })).rejects.toThrow('address in use');
    expect(() => a.connect()).toThrow(/stopped/);
    expect(failing.stops).toBe(0);
    expect(await settles(combined.start(() => {}))).toBe('rejected: the combined transport failed to start');
  });
});

// ---- the combination on its own, with scripted inner transports ------------------

/** An inner transport the test drives: it emits what it is told and records what it is asked. */
class ScriptedTransport implements HubTransport {
  private sink: ((event: TransportEvent) => void) | null = null;
  readonly executed: TransportCommand[] = [];
  startError: Error | null = null;
  stopError: Error | null = null;
  /** How `execute` answers; resolves by default. */
  outcome: (command: TransportCommand) => Promise<void> = () => Promise.resolve();
  /** When set, `start` resolves only once this does. */
  startGate: Promise<void> | null = null;
  starts = 0;
  stops = 0;

  start(sink: (event: TransportEvent) => void): Promise<void> {
    this.starts++;
    if (this.startError !== null) return Promise.reject(this.startError);
    this.sink = sink;
    return this.startGate ?? Promise.resolve();
  }
  execute(command: TransportCommand): Promise<void> {
    this.executed.push(command);
    return this.outcome(command);
  }
  stop(): Promise<void> {
    this.stops++;
    return this.stopError !== null ? Promise.reject(this.stopError) : Promise.resolve();
  }
  emit(event: TransportEvent): void {
    if (this.sink === null) throw new Error('not started');
    this.sink(event);
  }
  request(link: number, requestId = 1): void {
    this.emit({ type: 'requestReceived', link: linkId(link), request: { kind: 'profiles', requestId, clientId: ALICE } });
  }
  messages(link: number, seq: number): void {
    this.emit({ type: 'messagesReceived', link: linkId(link), messages: [note(seq, `m${seq}`)] });
  }
  lost(link: number): void {
    this.emit({ type: 'connectionClosed', link: linkId(link), cause: 'peerClosed' });
  }
}

async function startedPair(options: { firstLinkId?: number } = {}) {
  const x = new ScriptedTransport();
  const y = new ScriptedTransport();
  const combined = new CombinedTransport([x, y], options);
  const facts: TransportEvent[] = [];
  await combined.start((e) => facts.push(e));
  const seen = (): string[] => facts.map((f) => `${f.type}@${f.link}`);
  return { x, y, combined, facts, seen };
}

describe('CombinedTransport', () => {
  test('refuses an empty list, a transport listed twice and a bad first id', () => {
    const x = new ScriptedTransport();
    expect(() => combineTransports()).toThrow(TypeError);
    expect(() => combineTransports(x, x)).toThrow(TypeError);
    expect(() => new CombinedTransport([x], { firstLinkId: 0 })).toThrow(RangeError);
  });

  test('renumbers links on their first fact, keeps each link its id and its order, and passes every other field through', async () => {
    const { x, y, facts, seen } = await startedPair();
    x.request(7);
    y.request(7);
    x.messages(7, 1);
    y.messages(7, 1);
    x.messages(7, 2);
    x.request(8);
    expect(seen()).toEqual(['requestReceived@1', 'requestReceived@2', 'messagesReceived@1', 'messagesReceived@2', 'messagesReceived@1', 'requestReceived@3']);
    expect(facts[4]).toEqual({ type: 'messagesReceived', link: 1, messages: [note(2, 'm2')] });
  });

  test('routes each command to the inner transport that owns the link, under its inner id, synchronously and in call order', async () => {
    const { x, y, combined } = await startedPair();
    x.request(7);
    y.request(7);
    const commands = [reply(linkId(2)), write(linkId(1), 1), write(linkId(2), 1), write(linkId(1), 2), close(linkId(1))];
    const results = commands.map((c) => combined.execute(c));
    // Already passed on, before anything was awaited (rule 2).
    expect(x.executed).toEqual([
      { ...commands[1], link: 7 },
      { ...commands[3], link: 7 },
      { ...commands[4], link: 7 },
    ]);
    expect(y.executed).toEqual([
      { ...commands[0], link: 7 },
      { ...commands[2], link: 7 },
    ]);
    expect(await Promise.all(results.map(settles))).toEqual(['resolved', 'resolved', 'resolved', 'resolved', 'resolved']);
  });

  test("passes an inner transport's rejection through, and turns a synchronous throw into a rejection", async () => {
    const { x, combined } = await startedPair();
    x.request(7);
    x.outcome = (c) => (c.type === 'reply' ? Promise.reject(new Error('slow reader')) : Promise.resolve());
    expect(await settles(combined.execute(reply(linkId(1))))).toBe('rejected: slow reader');
    x.outcome = () => {
      throw new Error('bug');
    };
    expect(await settles(combined.execute(write(linkId(1))))).toBe('rejected: bug');
    expect(combined.routeOf(linkId(1))).toMatchObject({ index: 0, link: 7 });
  });

  test('forgets a link once the hub’s close settled (resolved or rejected) or the inner transport reported it lost; an inner id that comes back is a new link', async () => {
    const { x, y, combined, seen } = await startedPair();
    x.request(7);
    y.request(7);
    x.request(9);
    // Close of outer 1 (x:7) resolves, close of outer 3 (x:9) rejects; y:7 is lost.
    x.outcome = (c) => (c.link === 9 ? Promise.reject(new Error('peer gone')) : Promise.resolve());
    const closing = [combined.execute(close(linkId(1))), combined.execute(close(linkId(3)))];
    // Until the close settles, commands still reach the inner transport (which decides what they do).
    expect(combined.routeOf(linkId(1))).toMatchObject({ link: 7 });
    expect(await Promise.all(closing.map(settles))).toEqual(['resolved', 'rejected: peer gone']);
    expect(combined.routeOf(linkId(1))).toBeUndefined();
    expect(combined.routeOf(linkId(3))).toBeUndefined();
    y.lost(7);
    expect(combined.routeOf(linkId(2))).toBeUndefined();
    expect(await settles(combined.execute(write(linkId(2))))).toMatch(/^rejected: link 2 is unknown/);
    // x reuses 7 for a new link: a new outer id, not 1 again (the counter moves on).
    x.request(7);
    expect(seen().slice(-2)).toEqual(['connectionClosed@2', 'requestReceived@4']);
    expect(combined.routeOf(linkId(4))).toMatchObject({ index: 0, link: 7 });
  });

  test('a close that settles after its inner id came back as a new link does not unmap the new link', async () => {
    const { x, combined, seen } = await startedPair();
    x.request(7);
    let settle!: () => void;
    x.outcome = () => new Promise<void>((resolve) => (settle = resolve));
    const closing = combined.execute(close(linkId(1)));
    // The inner transport reports the link lost (a race the contract allows) and reuses its id at once.
    x.lost(7);
    x.request(7);
    expect(seen()).toEqual(['requestReceived@1', 'connectionClosed@1', 'requestReceived@2']);
    settle();
    await closing;
    expect(combined.routeOf(linkId(2))).toMatchObject({ index: 0, link: 7 });
  });

  test('a link that ends before it carried anything is reported under a fresh outer id, which is not kept', async () => {
    const { x, combined, seen } = await startedPair();
    x.lost(5);
    x.request(6);
    expect(seen()).toEqual(['connectionClosed@1', 'requestReceived@2']);
    expect(combined.routeOf(linkId(1))).toBeUndefined();
  });

  // Skipping ids still open happens only once the counter has come all the way round (2^32 links);
  // that is LinkIdAllocator's job, shared with the adapters, and not re-run here.
  test('outer ids are u32 and wrap around from 2^32 - 1 to 1 (rule 5)', async () => {
    const { x, y, seen } = await startedPair({ firstLinkId: 0xffff_fffe });
    x.request(1); // 0xfffffffe
    y.request(1); // 0xffffffff
    x.request(2); // 1
    y.lost(1);
    x.request(3); // 2
    x.request(4); // 3
    expect(seen()).toEqual([
      `requestReceived@${0xffff_fffe}`,
      `requestReceived@${0xffff_ffff}`,
      'requestReceived@1',
      `connectionClosed@${0xffff_ffff}`,
      'requestReceived@2',
      'requestReceived@3',
    ]);
  });

  test('start: in order; if one fails, the ones started before are stopped and start rejects with its error', async () => {
    const x = new ScriptedTransport();
    const y = new ScriptedTransport();
    const z = new ScriptedTransport();
    y.startError = new Error('address in use');
    const combined = combineTransports(x, y, z);
    expect(await settles(combined.start(() => {}))).toBe('rejected: address in use');
    expect([x.starts, y.starts, z.starts]).toEqual([1, 1, 0]);
    expect([x.stops, y.stops, z.stops]).toEqual([1, 0, 0]);
  });

  test('stop while starting: every inner transport is stopped, the rest are not started, and start rejects', async () => {
    const x = new ScriptedTransport();
    const y = new ScriptedTransport();
    let open!: () => void;
    x.startGate = new Promise<void>((resolve) => (open = resolve));
    const combined = combineTransports(x, y);
    const starting = combined.start(() => {});
    expect(await settles(combined.stop())).toBe('resolved');
    open();
    expect(await settles(starting)).toBe('rejected: the combined transport was stopped while it was starting');
    expect([x.starts, y.starts]).toEqual([1, 0]);
    expect([x.stops, y.stops]).toEqual([1, 1]);
  });

  test('start twice rejects', async () => {
    const { combined } = await startedPair();
    expect(await settles(combined.start(() => {}))).toBe('rejected: the combined transport was already started');
  });

  test('stop: stops every inner transport even when one rejects, rejects with the first error, and is idempotent', async () => {
    const { x, y, combined } = await startedPair();
    x.stopError = new Error('x would not stop');
    const first = combined.stop();
    expect([x.stops, y.stops]).toEqual([1, 1]);
    expect(await settles(first)).toBe('rejected: x would not stop');
    expect(combined.stop()).toBe(first);
    expect([x.stops, y.stops]).toEqual([1, 1]);
    expect(await settles(combined.start(() => {}))).toBe('rejected: the combined transport is stopped');
  });
});
