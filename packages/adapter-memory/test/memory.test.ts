/**
 * Adapter-specific tests of the memory network: what the conformance suite
 * cannot see from the outside — delivery modes, the fault hooks, link ids,
 * the exact moments rules 3–5 take effect, and the wire-codec option.
 * Most tests drive the transport directly with a recording sink; the last
 * ones run a real hub to show the fault hooks doing their job (the protocol
 * copes; the network never fixes anything itself).
 */
import { clientId, HubUsageError, linkId, profileId, type CommandId, type DialogMessage, type LinkId } from '@dialoghub/core';
import { Hub, ManualClock, MemoryStore, seededEntropy, type TransportCommand, type TransportEvent } from '@dialoghub/runtime';
import { describe, expect, test } from 'vitest';
import { createMemoryNetwork, type HubFrame, type LinkEnd, type MemoryClientLink, type MemoryNetwork, type MemoryNetworkOptions } from '../src/index.js';

const utf8 = new TextEncoder();
const ALICE = clientId(7);
let commandSeq = 0;
const cid = (): CommandId => ++commandSeq as CommandId;

const reply = (link: LinkId, requestId = 1): TransportCommand => ({ type: 'reply', commandId: cid(), link, requestId, answer: { code: 'reset', clientId: ALICE } });
const write = (link: LinkId, messages: readonly DialogMessage[]): TransportCommand => ({ type: 'writeDialog', commandId: cid(), link, clientId: ALICE, messages });
const close = (link: LinkId): TransportCommand => ({ type: 'close', commandId: cid(), link, clientId: ALICE, reason: 'kicked', reconnect: false });
const appMsg = (seq: number, text: string, ack = 0): DialogMessage => ({ seq, ack, body: { type: 'app', appType: 'test.note', payload: utf8.encode(text), replyTo: 0 } });
const profiles = (requestId: number) => ({ kind: 'request', request: { kind: 'profiles', requestId, clientId: ALICE } }) as const;

/** A started network with a sink that records every fact. */
async function started(options: MemoryNetworkOptions = {}): Promise<{ net: MemoryNetwork; facts: TransportEvent[] }> {
  const net = createMemoryNetwork(options);
  const facts: TransportEvent[] = [];
  await net.transport.start((e) => facts.push(e));
  return { net, facts };
}

/** A client link whose received frames and end are recorded. */
function client(net: MemoryNetwork): { link: MemoryClientLink; got: HubFrame[]; ends: LinkEnd[] } {
  const link = net.connect();
  const got: HubFrame[] = [];
  const ends: LinkEnd[] = [];
  link.onReceive((f) => got.push(f));
  link.onClose((e) => ends.push(e));
  return { link, got, ends };
}

async function settles(p: Promise<unknown>): Promise<string> {
  return p.then(
    () => 'resolved',
    (e: unknown) => `rejected: ${e instanceof Error ? e.message : String(e)}`,
  );
}

describe('creating and starting', () => {
  test('refuses bad options', () => {
    expect(() => createMemoryNetwork({ delivery: 'later' as never })).toThrow(TypeError);
    expect(() => createMemoryNetwork({ firstLinkId: 0 })).toThrow(RangeError);
    expect(() => createMemoryNetwork({ firstLinkId: 2 ** 32 })).toThrow(RangeError);
  });

  test('accepts links only between start and stop, and starts once', async () => {
    const net = createMemoryNetwork();
    expect(() => net.connect()).toThrow(/not started/);
    await net.transport.start(() => {});
    expect(await settles(net.transport.start(() => {}))).toMatch(/already started/);
    net.connect();
    await net.transport.stop();
    expect(() => net.connect()).toThrow(/stopped/);
    expect(await settles(net.transport.start(() => {}))).toMatch(/already stopped/);
  });
});

describe('link ids (rule 5)', () => {
  test('count from 1 in connect order', async () => {
    const { net } = await started();
    expect([net.connect().id, net.connect().id, net.connect().id]).toEqual([1, 2, 3]);
  });

  test('wrap from 2^32 - 1 to 1, never 0', async () => {
    const { net } = await started({ firstLinkId: 0xffff_fffe });
    expect([net.connect().id, net.connect().id, net.connect().id]).toEqual([0xffff_fffe, 0xffff_ffff, 1]);
  });

  test('the hub sees the id the client link reports', async () => {
    const { net, facts } = await started();
    net.connect();
    const { link } = client(net);
    link.send(profiles(5));
    await net.idle();
    expect(facts).toEqual([{ type: 'requestReceived', link: link.id, request: { kind: 'profiles', requestId: 5, clientId: ALICE } }]);
  });
});

describe('immediate delivery', () => {
  test('delivers after the sending call returns, one FIFO across links and directions', async () => {
    const { net, facts } = await started();
    const a = client(net);
    const b = client(net);
    a.link.send(profiles(1));
    b.link.send({ kind: 'dialog', clientId: ALICE, messages: [appMsg(1, 'x')] });
    const replied = net.transport.execute(reply(a.link.id, 9));
    a.link.send(profiles(2));
    expect(facts).toEqual([]);
    expect(a.got).toEqual([]);
    await replied;
    await net.idle();
    expect(facts.map((f) => [f.type, f.link])).toEqual([
      ['requestReceived', a.link.id],
      ['messagesReceived', b.link.id],
      ['requestReceived', a.link.id],
    ]);
    expect(a.got).toEqual([{ kind: 'answer', requestId: 9, answer: { code: 'reset', clientId: ALICE } }]);
  });

  test('turns client frames into facts (a dialog frame becomes its messages) and commands into frames', async () => {
    const { net, facts } = await started();
    const a = client(net);
    const messages = [appMsg(1, 'hello')];
    a.link.send({ kind: 'dialog', clientId: ALICE, messages });
    await net.transport.execute(write(a.link.id, messages));
    await net.idle();
    expect(facts).toEqual([{ type: 'messagesReceived', link: a.link.id, messages }]);
    expect(a.got).toEqual([{ kind: 'dialog', clientId: ALICE, messages }]);
  });

  test('keeps frames that arrive before anyone listens for the first listener', async () => {
    const { net } = await started();
    const link = net.connect();
    await net.transport.execute(reply(link.id, 1));
    await net.transport.execute(reply(link.id, 2));
    await net.idle();
    const got: number[] = [];
    link.onReceive((f) => got.push(f.kind === 'answer' ? f.requestId : -1));
    expect(got).toEqual([1, 2]);
  });

  test('refuses frame kinds a client may not send', async () => {
    const { net } = await started();
    const link = net.connect();
    expect(() => link.send({ kind: 'close', reason: 'kicked', reconnect: false } as never)).toThrow(TypeError);
  });
});

describe('rule 3: a command that cannot be carried out rejects', () => {
  test('for a link that never existed', async () => {
    const { net } = await started();
    for (const c of [reply(linkId(42)), write(linkId(42), []), close(linkId(42))]) expect(await settles(net.transport.execute(c))).toMatch(/unknown/);
  });

  test('for a link the hub closed, even before the client has heard', async () => {
    const { net } = await started({ delivery: 'manual' });
    const a = client(net);
    await net.transport.execute(close(a.link.id));
    expect(await settles(net.transport.execute(reply(a.link.id)))).toMatch(/closed/);
    net.flush();
    expect(await settles(net.transport.execute(reply(a.link.id)))).toMatch(/unknown/);
  });

  test('for a link the client dropped, even before the hub has heard', async () => {
    const { net, facts } = await started({ delivery: 'manual' });
    const a = client(net);
    a.link.close();
    expect(facts).toEqual([]);
    expect(await settles(net.transport.execute(write(a.link.id, [])))).toMatch(/dropped by the client/);
    net.flush();
    expect(facts).toEqual([{ type: 'connectionClosed', link: a.link.id, cause: 'peerClosed' }]);
  });

  test('for a frame with no wire encoding (wire-codec mode), and the client side throws', async () => {
    const { net } = await started({ wireCodec: true });
    const a = client(net);
    const bad: TransportCommand = { type: 'writeDialog', commandId: cid(), link: a.link.id, clientId: clientId(0), messages: [] };
    const outcome = net.transport.execute(bad);
    await expect(outcome).rejects.toBeInstanceOf(HubUsageError);
    expect(() => a.link.send({ kind: 'dialog', clientId: clientId(0), messages: [] })).toThrow(HubUsageError);
  });
});

describe('rule 4: closing', () => {
  test('the hub’s close: the reason first, then the end; no connectionClosed, and nothing more reaches the hub', async () => {
    const { net, facts } = await started({ delivery: 'manual' });
    const a = client(net);
    await net.transport.execute(close(a.link.id));
    expect(net.pending().map((d) => [d.to, d.kind])).toEqual([
      ['client', 'frame'],
      ['client', 'end'],
    ]);
    expect(a.link.send(profiles(1))).toBe(true);
    net.flush();
    expect(a.got).toEqual([{ kind: 'close', reason: 'kicked', reconnect: false }]);
    expect(a.ends).toEqual([{ by: 'hub', reason: 'kicked', reconnect: false, detail: null }]);
    expect(a.link.open).toBe(false);
    expect(a.link.send(profiles(2))).toBe(false);
    a.link.close();
    net.flush();
    expect(facts).toEqual([]);
  });

  test('the client’s drop: exactly one connectionClosed, after what it sent before', async () => {
    const { net, facts } = await started();
    const a = client(net);
    a.link.send(profiles(1));
    a.link.close();
    a.link.close();
    expect(a.ends).toEqual([{ by: 'client', reason: null, reconnect: null, detail: null }]);
    await net.idle();
    expect(facts.map((f) => f.type)).toEqual(['requestReceived', 'connectionClosed']);
    expect(net.transport.openLinks()).toEqual([]);
  });

  test('stop(): every open link is told `shutdown` and ended; no facts after; idempotent', async () => {
    const { net, facts } = await started();
    const a = client(net);
    const b = client(net);
    const gone = client(net);
    gone.link.close();
    a.link.send(profiles(1));
    const stopping = net.transport.stop();
    expect(net.transport.stop()).toBe(stopping);
    await stopping;
    for (const c of [a, b]) {
      expect(c.got).toEqual([{ kind: 'close', reason: 'shutdown', reconnect: true }]);
      expect(c.ends).toEqual([{ by: 'hub', reason: 'shutdown', reconnect: true, detail: null }]);
    }
    expect(gone.got).toEqual([]);
    expect(facts).toEqual([]);
    expect(net.transport.openLinks()).toEqual([]);
    expect(await settles(net.transport.execute(reply(a.link.id)))).toMatch(/unknown|closed/);
  });

  test('stop() in manual mode queues the shutdown and leaves delivery to the test', async () => {
    const { net } = await started({ delivery: 'manual' });
    const a = client(net);
    await net.transport.stop();
    expect(a.got).toEqual([]);
    expect(net.flush()).toBe(2);
    expect(a.ends).toEqual([{ by: 'hub', reason: 'shutdown', reconnect: true, detail: null }]);
  });
});

describe('manual delivery and faults', () => {
  test('nothing moves until the test delivers; pending() shows what is in flight', async () => {
    const { net, facts } = await started({ delivery: 'manual' });
    const a = client(net);
    a.link.send(profiles(1));
    await net.transport.execute(reply(a.link.id, 1));
    expect(net.pending()).toEqual([
      { id: 1, link: a.link.id, to: 'hub', kind: 'frame', frame: profiles(1) },
      { id: 2, link: a.link.id, to: 'client', kind: 'frame', frame: { kind: 'answer', requestId: 1, answer: { code: 'reset', clientId: ALICE } } },
    ]);
    expect(facts).toEqual([]);
    expect(net.deliverNext()).toBe(true);
    expect(facts).toHaveLength(1);
    expect(a.got).toEqual([]);
    let idle = false;
    void net.idle().then(() => (idle = true));
    expect(net.flush()).toBe(1);
    expect(net.deliverNext()).toBe(false);
    await Promise.resolve();
    expect(idle).toBe(true);
  });

  test('drop, duplicate, reorder and deliver-out-of-order are exact list edits', async () => {
    const { net, facts } = await started({ delivery: 'manual' });
    const a = client(net);
    for (let r = 1; r <= 4; r++) a.link.send(profiles(r));
    const ids = net.pending().map((d) => d.id);
    net.drop(ids[0]!);
    const copy = net.duplicate(ids[1]!);
    net.reorder(ids[3]!, 0);
    expect(net.pending().map((d) => d.id)).toEqual([ids[3], ids[1], copy, ids[2]]);
    net.deliver(ids[2]!);
    net.flush();
    expect(facts.map((f) => (f.type === 'requestReceived' ? f.request.requestId : -1))).toEqual([3, 4, 2, 2]);
    expect(() => net.drop(ids[0]!)).toThrow(RangeError);
    expect(() => net.duplicate(999)).toThrow(RangeError);
    expect(() => net.reorder(999, 0)).toThrow(RangeError);
  });

  test('a lost close frame still ends the link, without a reason', async () => {
    const { net } = await started({ delivery: 'manual' });
    const a = client(net);
    await net.transport.execute(close(a.link.id));
    net.drop(net.pending()[0]!.id);
    net.flush();
    expect(a.got).toEqual([]);
    expect(a.ends).toEqual([{ by: 'hub', reason: null, reconnect: null, detail: null }]);
  });

  test('a delivery to an end that has closed is discarded', async () => {
    const { net, facts } = await started({ delivery: 'manual' });
    const a = client(net);
    await net.transport.execute(reply(a.link.id));
    a.link.send(profiles(1));
    a.link.close();
    await expect(net.transport.execute(reply(a.link.id))).rejects.toThrow();
    net.flush();
    expect(a.got).toEqual([]);
    expect(facts.map((f) => f.type)).toEqual(['requestReceived', 'connectionClosed']);
  });
});

describe('wire codec', () => {
  test('frames arrive as fresh decoded values equal to what was sent', async () => {
    const { net, facts } = await started({ wireCodec: true });
    const a = client(net);
    const sent = [appMsg(1, 'bytes on the wire')];
    a.link.send({ kind: 'dialog', clientId: ALICE, messages: sent });
    await net.transport.execute(write(a.link.id, sent));
    await net.idle();
    const fact = facts[0]!;
    expect(fact).toEqual({ type: 'messagesReceived', link: a.link.id, messages: sent });
    const received = fact.type === 'messagesReceived' ? fact.messages[0]!.body : null;
    expect(received !== null && received.type === 'app' && received.payload).not.toBe((sent[0]!.body as { payload: Uint8Array }).payload);
    expect(a.got).toEqual([{ kind: 'dialog', clientId: ALICE, messages: sent }]);
  });

  test('a frame the decoder refuses ends the link: the hub hears connectionClosed, the client `transport`', async () => {
    const { net, facts } = await started({ wireCodec: { limits: { maxPayloadBytes: 4 } } });
    const a = client(net);
    a.link.send({ kind: 'dialog', clientId: ALICE, messages: [appMsg(1, 'far too long')] });
    await net.idle();
    expect(facts).toHaveLength(1);
    expect(facts[0]).toMatchObject({ type: 'connectionClosed', link: a.link.id });
    expect((facts[0] as { cause: string }).cause).toMatch(/^badFrame: limitExceeded/);
    expect(a.ends).toHaveLength(1);
    expect(a.ends[0]).toMatchObject({ by: 'transport', reason: null });
  });
});

describe('the faults are for the protocol to handle', () => {
  /** A hub on a manual network, with one registered client whose messages the test routes by hand. */
  async function hubWithClient() {
    const net = createMemoryNetwork({ delivery: 'manual' });
    const clock = new ManualClock(1_000);
    const handled: string[] = [];
    const hub = await Hub.open({ transport: net.transport, store: new MemoryStore(), clock, entropy: seededEntropy(1), config: { appMessageTypes: ['test.note'] } });
    hub.handle('test.note', (d) => {
      handled.push(`${d.seq}:${new TextDecoder().decode(d.payload)}`);
    });
    await hub.operate({ type: 'profileCreated', profileId: profileId(1), name: 'p' });
    const c = client(net);
    c.link.send({ kind: 'request', request: { kind: 'register', requestId: 1, clientId: ALICE, profileId: profileId(1), contact: { name: 'a', phone: '', email: '' }, environment: {} } });
    /** Delivers everything, lets the hub act, until nothing moves. */
    const settle = async (): Promise<void> => {
      do {
        net.flush();
        await hub.drain();
      } while (net.pending().length > 0);
    };
    await settle();
    const answer = c.got[0];
    if (answer?.kind !== 'answer' || answer.answer.code !== 'ok' || answer.answer.secret === null) throw new Error('registration failed');
    c.got.length = 0;
    return { net, hub, handled, c, settle, secret: answer.answer.secret };
  }

  test('reordered, duplicated and lost client messages are each handled once, in order, after the client resends', async () => {
    const { net, hub, handled, c, settle } = await hubWithClient();
    for (let seq = 1; seq <= 3; seq++) c.link.send({ kind: 'dialog', clientId: ALICE, messages: [appMsg(seq, `m${seq}`)] });
    const [one, two, three] = net.pending().map((d) => d.id);
    net.reorder(three!, 0);
    net.duplicate(one!);
    net.drop(two!);
    await settle();
    expect(handled).toEqual(['1:m1']);
    const acks = c.got.map((f) => (f.kind === 'dialog' ? f.messages.map((m) => m.ack) : []));
    expect(acks).toEqual([[0], [1], [1]]);
    // The client resends from the hub's ack.
    c.link.send({ kind: 'dialog', clientId: ALICE, messages: [appMsg(2, 'm2'), appMsg(3, 'm3')] });
    await settle();
    expect(handled).toEqual(['1:m1', '2:m2', '3:m3']);
    await hub.close();
  });

  test('a lost hub message is resent after the client comes back on a new link', async () => {
    const { net, hub, c, settle, secret } = await hubWithClient();
    await hub.send(ALICE, 'test.note', utf8.encode('p1'));
    const [lost] = net.pending();
    expect(lost).toMatchObject({ to: 'client', kind: 'frame', frame: { kind: 'dialog' } });
    net.drop(lost!.id);
    c.link.close();
    await settle();
    expect(c.got).toEqual([]);
    const back = client(net);
    back.link.send({ kind: 'request', request: { kind: 'login', requestId: 2, clientId: ALICE, credential: { secret }, environment: null, lastReceived: 0 } });
    await settle();
    expect(back.got).toEqual([
      { kind: 'answer', requestId: 2, answer: { code: 'ok', clientId: ALICE, status: 'enabled', secret: null, lastReceived: 0, lastSent: 1 } },
      { kind: 'dialog', clientId: ALICE, messages: [appMsg(1, 'p1')] },
    ]);
    await hub.close();
  });
});
