/**
 * Theory of operation: the conformance suite every transport adapter runs
 * (architecture.md §6; runtime transport.ts, rules 1–5).
 *
 * Each test builds a `World` — a real `Hub` on the transport under test, a
 * `ManualClock`, seeded secrets, a store whose commits can be held — plays
 * the clients by hand through the adapter's `TestPeer`s, and checks what the
 * clients receive and what the hub steps. After each test every hub is
 * closed and the transport's record is checked against the contract
 * (`checkTransportRules`). The areas:
 *
 * - the contract itself: link ids, rejecting commands for unknown or dead
 *   links, one `connectionClosed` per lost link, `stop()`;
 * - ORDERING: facts from one link reach the core in order; commands for one
 *   link take effect in order (answer, then dialog messages, then close);
 * - FAILURE REPORTING: a command for a link the peer dropped becomes a
 *   `commandFailed` input, and the hub keeps serving everyone else;
 * - CLOSE WITH A REASON: the peer is told why (pushedOut, replaced, kicked,
 *   notLoggedIn, heartbeatTimeout, shutdown) before its link ends;
 * - RESTART: a new hub on the same store and a fresh transport takes the
 *   registered client back and resends what it had not acknowledged;
 * - DUPLICATES AND LOSSES are handled by the protocol, not the adapter: the
 *   suite's clients repeat, skip and leave messages unacknowledged, and the
 *   hub sorts it out — which only works if the adapter delivers exactly what
 *   it was given, in order, without fixing anything.
 *
 * Nothing waits on the wall clock: time is the `ManualClock`, and every wait
 * is for an event (a frame, a fact, a stepped input). The per-test timeout is
 * only a failsafe for an adapter that loses something.
 */
import { CLOSE_REASON_RECONNECT, CONNECTION_TIMINGS, clientId, isU32, linkId, profileId, type CommandId, type HubInput, type LinkId } from '@dialoghub/core';
import type { TransportCommand } from '@dialoghub/runtime';
import { describe, expect, test } from 'vitest';
import type { TransportSetup } from './harness.js';
import { bareAck, bytes, note, NOTE, ECHO, type Seen } from './suite-peer.js';
import { PROFILE_IDS, World } from './world.js';

/** Options of `runTransportConformance`. */
export interface ConformanceOptions {
  /**
   * Failsafe per test, in wall-clock milliseconds, for an adapter that loses
   * a frame (the test would otherwise wait for it for ever). Default 20 000.
   * The tests themselves never wait on the wall clock.
   */
  readonly timeoutMs?: number;
}

const ALICE = clientId(101);
const ALICE_TWIN = clientId(102);
const BOB = clientId(201);
const CAROL = clientId(301);

const ack = (n: number): Seen => ({ seq: 0, ack: n, body: 'ack' });
const app = (seq: number, ackN: number, text: string): Seen => ({ seq, ack: ackN, body: `app:${text}` });
const sync = (seq: number, ackN: number): Seen => ({ seq, ack: ackN, body: 'sync' });

/** How a promise settled, without throwing. */
async function settles(p: Promise<unknown>): Promise<'resolved' | 'rejected'> {
  return p.then(
    () => 'resolved' as const,
    () => 'rejected' as const,
  );
}

/** The three transport commands, aimed at `link`, with ids no hub hands out. */
function commandsFor(link: LinkId): TransportCommand[] {
  const cmd = (n: number): CommandId => (4_000_000_000 + n) as CommandId;
  return [
    { type: 'reply', commandId: cmd(1), link, requestId: 1, answer: { code: 'reset', clientId: ALICE } },
    { type: 'writeDialog', commandId: cmd(2), link, clientId: ALICE, messages: [bareAck(0)] },
    { type: 'close', commandId: cmd(3), link, clientId: ALICE, reason: 'kicked', reconnect: CLOSE_REASON_RECONNECT.kicked },
  ];
}

const isClosedFact = (link: LinkId) => (e: { type: string; link: LinkId }) => e.type === 'connectionClosed' && e.link === link;
const isInput =
  <T extends HubInput['type']>(type: T, link?: LinkId) =>
  (i: HubInput): boolean =>
    i.type === type && (link === undefined || ('link' in i && i.link === link));

/**
 * Registers the conformance suite for one transport adapter with vitest.
 * Call it at the top level of the adapter's test file:
 *
 * ```ts
 * runTransportConformance('my adapter', () => {
 *   const transport = new MyTransport();
 *   // peerOfLink: a TestPeer from a client link with send / onFrame / onClose / close
 *   return { transport, connect: async () => peerOfLink(await connectMyClient(transport)), teardown: () => transport.stop() };
 * });
 * ```
 *
 * `setup` is called once per test (twice in the restart test) and must return
 * a fresh, unstarted transport each time; see `TransportHarness` and
 * `TestPeer` for what the suite needs from it. Every test is independent.
 */
export function runTransportConformance(name: string, setup: TransportSetup, options: ConformanceOptions = {}): void {
  const timeout = options.timeoutMs ?? 20_000;

  const scenario = (title: string, body: (world: World) => Promise<void>): void => {
    test(
      title,
      async () => {
        const world = new World(setup);
        try {
          await body(world);
          expect(await world.finish(), 'contract rules checked over the transport record').toEqual([]);
        } finally {
          await world.teardown();
        }
      },
      timeout,
    );
  };

  describe(`transport conformance: ${name}`, () => {
    describe('the contract', () => {
      scenario('gives every open link its own unsigned 32-bit id, and answers each link on that link', async (world) => {
        const hut = await world.openHub();
        const peers = [await hut.connect('p1'), await hut.connect('p2'), await hut.connect('p3')];
        const requests: number[] = [];
        for (const [i, p] of peers.entries()) requests.push(await p.request({ kind: 'profiles', clientId: clientId(900 + i) }));
        const links = await Promise.all(requests.map((r) => hut.linkOf(r)));
        expect(new Set(links).size).toBe(3);
        for (const l of links) expect(isU32(l), `link id ${l}`).toBe(true);
        for (const [i, p] of peers.entries()) {
          const answer = await p.answer(requests[i]!);
          expect(answer).toMatchObject({ code: 'profiles', clientId: 900 + i });
          expect(answer.code === 'profiles' ? answer.profiles.map((x) => x.name) : []).toEqual(['alpha', 'bravo', 'charlie']);
        }
      });

      scenario('rejects every command for a link it never opened (rule 3)', async (world) => {
        const hut = await world.openHub();
        for (const command of commandsFor(linkId(0xffff_fff0))) {
          expect(await settles(hut.harness.transport.execute(command)), command.type).toBe('rejected');
        }
      });

      scenario('reports a link the peer dropped exactly once, after what the peer sent before it (rules 1, 4)', async (world) => {
        const hut = await world.openHub();
        const alice = await hut.connect('alice');
        await alice.register(ALICE, PROFILE_IDS.alpha);
        await alice.messages(ALICE, [note(1, 0, 'last words')]);
        await alice.drop();
        // The hub's ack of the last words may or may not beat the drop; the link must end either way.
        let e = await alice.next();
        while (e.kind === 'dialog') e = await alice.next();
        expect(e).toEqual({ kind: 'ended' });
        const link = await hut.linkOf(alice);
        const lost = await hut.stepped(isInput('connectionClosed', link));
        expect((await hut.handledFrom(ALICE, 1)).map((h) => h.text)).toEqual(['last words']);
        const offline = await hut.events.first((e) => e.type === 'clientOffline');
        expect(offline).toMatchObject({ clientId: ALICE, link, reason: 'connectionLost' });
        await hut.close();
        expect(hut.recorder.facts().filter(isClosedFact(link))).toHaveLength(1);
        const order = hut.recorder.facts().filter((e) => e.link === link).map((e) => e.type);
        expect(order).toEqual(['requestReceived', 'messagesReceived', 'connectionClosed']);
        expect(lost.commands.filter((c) => c.type === 'close')).toEqual([]);
      });

      scenario('stop() tells every open link `shutdown` before ending it, and may be called again', async (world) => {
        const hut = await world.openHub();
        const alice = await hut.connect('alice');
        await alice.register(ALICE, PROFILE_IDS.alpha);
        const idle = await hut.connect('idle');
        const asked = await idle.request({ kind: 'profiles', clientId: clientId(999) });
        await idle.answer(asked);
        const aliceLink = await hut.linkOf(alice);
        await hut.close();
        expect(await alice.closed('hub stopping')).toEqual({ reason: 'shutdown', reconnect: true });
        expect(await idle.closed('hub stopping')).toEqual({ reason: 'shutdown', reconnect: true });
        await hut.harness.transport.stop();
        for (const command of commandsFor(aliceLink)) {
          expect(await settles(hut.harness.transport.execute(command)), `${command.type} after stop`).toBe('rejected');
        }
      });
    });

    describe('ordering', () => {
      scenario('facts from one link reach the core in the order they were sent', async (world) => {
        const hut = await world.openHub();
        const alice = await hut.connect('alice');
        const id = await alice.request({
          kind: 'register',
          clientId: ALICE,
          profileId: profileId(PROFILE_IDS.alpha),
          contact: { name: 'alice', phone: '', email: '' },
          environment: {},
        });
        // Twenty frames right behind the registration, none waiting for an answer.
        for (let seq = 1; seq <= 20; seq++) await alice.messages(ALICE, [note(seq, 0, `m${seq}`)]);
        expect(await alice.answer(id)).toMatchObject({ code: 'ok', clientId: ALICE });
        for (let seq = 1; seq <= 20; seq++) expect(await alice.dialog(`ack of m${seq}`)).toEqual([ack(seq)]);
        const handled = await hut.handledFrom(ALICE, 20);
        expect(handled.map((h) => `${h.seq}:${h.text}`)).toEqual(Array.from({ length: 20 }, (_, i) => `${i + 1}:m${i + 1}`));
        const link = await hut.linkOf(id);
        const facts = hut.recorder.facts().filter((e) => e.link === link);
        expect(facts.map((e) => e.type)).toEqual(['requestReceived', ...Array.from({ length: 20 }, () => 'messagesReceived')]);
        expect(facts.flatMap((e) => (e.type === 'messagesReceived' ? e.messages.map((m) => m.seq) : []))).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
        expect(hut.logs.items.filter((l) => l.event === 'gapDropped' || l.event === 'duplicatesDropped')).toEqual([]);
      });

      scenario('commands for one link take effect in order: answer, then dialog messages, then close', async (world) => {
        const hut = await world.openHub();
        const first = await hut.connect('alice (first link)');
        const secret = await first.register(ALICE, PROFILE_IDS.alpha);
        expect((await hut.hub.send(ALICE, NOTE, bytes('n1'))).ok).toBe(true);
        expect((await hut.hub.send(ALICE, NOTE, bytes('n2'))).ok).toBe(true);
        expect(await first.dialog()).toEqual([app(1, 0, 'n1')]);
        expect(await first.dialog()).toEqual([app(2, 0, 'n2')]);

        // Hold the commit so the hub decides everything before it runs any of it.
        const second = await hut.connect('alice (second link)');
        const committing = world.store.nextAppend();
        world.store.hold();
        const login = await second.request({ kind: 'login', clientId: ALICE, credential: { secret }, environment: null, lastReceived: 0 });
        await committing;
        const kicked = hut.hub.operate({ type: 'clientKicked', clientId: ALICE });
        world.store.release();

        expect(await second.answer(login)).toMatchObject({ code: 'ok', clientId: ALICE, lastReceived: 0, lastSent: 2 });
        expect(await second.dialog('the resend of the unacknowledged outbox')).toEqual([app(1, 0, 'n1'), app(2, 0, 'n2')]);
        expect(await second.closed('kicked after the resend')).toEqual({ reason: 'kicked', reconnect: false });
        expect(await first.closed('pushed out by the second link')).toEqual({ reason: 'pushedOut', reconnect: false });
        expect(await kicked).toMatchObject({ ok: true });
      });
    });

    describe('failure reporting', () => {
      scenario('a command for a link the peer dropped becomes commandFailed, and the hub keeps serving the others', async (world) => {
        const hut = await world.openHub();
        const alice = await hut.connect('alice');
        const aliceSecret = await alice.register(ALICE, PROFILE_IDS.alpha);
        const aliceLink = await hut.linkOf(alice);
        const bob = await hut.connect('bob');
        await bob.register(BOB, PROFILE_IDS.bravo);

        // The hub decides to write to Alice; before it acts, her link is lost.
        const committing = world.store.nextAppend();
        world.store.hold();
        const sent = hut.hub.send(ALICE, NOTE, bytes('into the void'));
        await committing;
        await alice.drop();
        await hut.recorder.fact(isClosedFact(aliceLink));
        world.store.release();
        expect(await sent).toMatchObject({ ok: true });

        const write = await hut.recorder.settled((c) => c.type === 'writeDialog' && c.link === aliceLink);
        expect(write.ok, 'writeDialog on a dropped link').toBe(false);
        const failed = await hut.stepped(isInput('commandFailed', aliceLink));
        expect(failed.input).toMatchObject({ type: 'commandFailed', commandId: write.command.commandId, command: 'writeDialog', link: aliceLink });
        await hut.logs.first((l) => l.event === 'commandFailed' && l.detail['commandId'] === write.command.commandId);

        // Bob is still served: his message is handled, answered and acknowledged.
        await bob.messages(BOB, [note(1, 0, 'still there?', ECHO)]);
        expect(await bob.dialog()).toEqual([ack(1)]);
        expect(await bob.dialog('the echo')).toEqual([{ seq: 1, ack: 1, body: 'app:still there?' }]);

        // Nothing was lost: Alice gets the message when she comes back.
        const again = await hut.connect('alice again');
        expect(await again.login(ALICE, aliceSecret, 0)).toMatchObject({ code: 'ok', lastSent: 1 });
        expect(await again.dialog('the resend')).toEqual([app(1, 0, 'into the void')]);
      });
    });

    describe('close with a reason', () => {
      scenario('replaceOld, same client: the old link is told `pushedOut` (no reconnect) before it ends; the new one is served', async (world) => {
        const hut = await world.openHub();
        const old = await hut.connect('alice (old)');
        const secret = await old.register(ALICE, PROFILE_IDS.alpha);
        const oldLink = await hut.linkOf(old);
        const fresh = await hut.connect('alice (new)');
        expect(await fresh.login(ALICE, secret, 0)).toMatchObject({ code: 'ok', clientId: ALICE });
        expect(await old.closed()).toEqual({ reason: 'pushedOut', reconnect: false });
        expect(await hut.events.first((e) => e.type === 'takeover')).toMatchObject({ conflict: 'sameClient', winner: ALICE, loser: ALICE, reason: 'pushedOut' });
        for (const command of commandsFor(oldLink)) {
          expect(await settles(hut.recorder.execute(command)), `${command.type} on the pushed-out link`).toBe('rejected');
        }
        await fresh.messages(ALICE, [note(1, 0, 'on the new link')]);
        expect(await fresh.dialog()).toEqual([ack(1)]);
        expect((await hut.handledFrom(ALICE, 1)).map((h) => `${h.seq}:${h.text}`)).toEqual(['1:on the new link']);
      });

      scenario('replaceOld, other client of the profile: the old one is told `replaced` (no reconnect)', async (world) => {
        const hut = await world.openHub();
        const alice = await hut.connect('alice');
        await alice.register(ALICE, PROFILE_IDS.alpha);
        const twin = await hut.connect('twin');
        await twin.register(ALICE_TWIN, PROFILE_IDS.alpha);
        expect(await alice.closed()).toEqual({ reason: 'replaced', reconnect: false });
      });

      scenario('a kicked client is told `kicked` (no reconnect); commands for its link then reject', async (world) => {
        const hut = await world.openHub();
        const alice = await hut.connect('alice');
        await alice.register(ALICE, PROFILE_IDS.alpha);
        const link = await hut.linkOf(alice);
        expect(await hut.hub.operate({ type: 'clientKicked', clientId: ALICE })).toMatchObject({ ok: true });
        expect(await alice.closed()).toEqual({ reason: 'kicked', reconnect: false });
        for (const command of commandsFor(link)) {
          expect(await settles(hut.recorder.execute(command)), `${command.type} on the kicked link`).toBe('rejected');
        }
      });

      scenario('a link that sends dialog messages without logging in is told `notLoggedIn`', async (world) => {
        const hut = await world.openHub();
        const stranger = await hut.connect('stranger');
        await stranger.messages(CAROL, [note(1, 0, 'let me in')]);
        expect(await stranger.closed()).toEqual({ reason: 'notLoggedIn', reconnect: true });
        expect(hut.handled.items).toEqual([]);
      });

      scenario('a silent client gets Syncs, then is told `heartbeatTimeout` — in virtual time', async (world) => {
        const hut = await world.openHub();
        const alice = await hut.connect('alice');
        await alice.register(ALICE, PROFILE_IDS.alpha);
        await world.advance(CONNECTION_TIMINGS.syncAfterMs);
        expect(await alice.dialog('first Sync')).toEqual([sync(1, 0)]);
        await world.advance(CONNECTION_TIMINGS.deadAfterMs - CONNECTION_TIMINGS.syncAfterMs);
        // The timer that fires at the dead line may pass through one more Sync first, never after the close.
        let e = await alice.next();
        while (e.kind === 'dialog') e = await alice.next();
        expect(e).toEqual({ kind: 'close', reason: 'heartbeatTimeout', reconnect: false });
        expect(await alice.next()).toEqual({ kind: 'ended' });
      });
    });

    describe('restart', () => {
      scenario('a new hub on the same store and a fresh transport takes the client back and resends what it had not acknowledged', async (world) => {
        const before = await world.openHub();
        const alice = await before.connect('alice');
        const secret = await alice.register(ALICE, PROFILE_IDS.alpha);
        await alice.messages(ALICE, [note(1, 0, 'before')]);
        expect(await alice.dialog()).toEqual([ack(1)]);
        await before.handledFrom(ALICE, 1);
        await before.hub.send(ALICE, NOTE, bytes('r1'));
        await before.hub.send(ALICE, NOTE, bytes('r2'));
        expect(await alice.dialog()).toEqual([app(1, 1, 'r1')]);
        expect(await alice.dialog()).toEqual([app(2, 1, 'r2')]);
        await before.close();
        expect(await alice.closed('hub stopping')).toEqual({ reason: 'shutdown', reconnect: true });

        const after = await world.openHub();
        const back = await after.connect('alice after the restart');
        expect(await back.login(ALICE, secret, 0)).toMatchObject({ code: 'ok', clientId: ALICE, lastReceived: 1, lastSent: 2 });
        expect(await back.dialog('the resend')).toEqual([app(1, 1, 'r1'), app(2, 1, 'r2')]);
        await back.messages(ALICE, [note(2, 2, 'after')]);
        expect(await back.dialog()).toEqual([ack(2)]);
        await after.handledFrom(ALICE, 1);
        expect(after.handledSoFar(ALICE)).toEqual(['2:after']);

        const impostor = await after.connect('impostor');
        expect(await impostor.login(ALICE, 'not-the-secret', 0)).toMatchObject({ code: 'rejected', reason: 'badCredentials' });
      });
    });

    describe('duplicates and losses are handled by the protocol, not the adapter', () => {
      scenario('a dialog message delivered twice is handled once', async (world) => {
        const hut = await world.openHub();
        const alice = await hut.connect('alice');
        await alice.register(ALICE, PROFILE_IDS.alpha);
        await alice.messages(ALICE, [note(1, 0, 'once')]);
        await alice.messages(ALICE, [note(1, 0, 'once')]);
        await alice.messages(ALICE, [note(2, 0, 'twice?')]);
        expect(await alice.dialog()).toEqual([ack(1)]);
        expect(await alice.dialog('ack of the duplicate')).toEqual([ack(1)]);
        expect(await alice.dialog()).toEqual([ack(2)]);
        await hut.handledFrom(ALICE, 2);
        expect(hut.handledSoFar(ALICE)).toEqual(['1:once', '2:twice?']);
        await hut.logs.first((l) => l.event === 'duplicatesDropped');
      });

      scenario('a lost client message is resent and everything is handled once, in order', async (world) => {
        const hut = await world.openHub();
        const alice = await hut.connect('alice');
        await alice.register(ALICE, PROFILE_IDS.alpha);
        await alice.messages(ALICE, [note(1, 0, 'one')]);
        // Message 2 is lost on the way; 3 arrives after a gap.
        await alice.messages(ALICE, [note(3, 0, 'three')]);
        expect(await alice.dialog()).toEqual([ack(1)]);
        expect(await alice.dialog('the gap is not acknowledged')).toEqual([ack(1)]);
        await alice.messages(ALICE, [note(2, 0, 'two'), note(3, 0, 'three')]);
        expect(await alice.dialog()).toEqual([ack(3)]);
        await hut.handledFrom(ALICE, 3);
        expect(hut.handledSoFar(ALICE)).toEqual(['1:one', '2:two', '3:three']);
      });

      scenario('a hub message left unacknowledged is resent after a resume, and not once acknowledged', async (world) => {
        const hut = await world.openHub();
        const alice = await hut.connect('alice');
        const secret = await alice.register(ALICE, PROFILE_IDS.alpha);
        const firstLink = await hut.linkOf(alice);
        await hut.hub.send(ALICE, NOTE, bytes('p1'));
        expect(await alice.dialog()).toEqual([app(1, 0, 'p1')]);
        await alice.drop();
        await hut.stepped(isInput('connectionClosed', firstLink));

        const back = await hut.connect('alice, back');
        expect(await back.login(ALICE, secret, 0)).toMatchObject({ code: 'ok', lastSent: 1 });
        expect(await back.dialog('the resend')).toEqual([app(1, 0, 'p1')]);
        await back.drop();

        const acked = await hut.connect('alice, acknowledging');
        expect(await acked.login(ALICE, secret, 1)).toMatchObject({ code: 'ok', lastSent: 1 });
        await acked.messages(ALICE, [note(1, 1, 'got it')]);
        expect(await acked.dialog('an ack, not a resend')).toEqual([ack(1)]);
      });

      scenario('a hub message left unacknowledged is resent with the next Sync — in virtual time', async (world) => {
        const hut = await world.openHub();
        const alice = await hut.connect('alice');
        await alice.register(ALICE, PROFILE_IDS.alpha);
        await hut.hub.send(ALICE, NOTE, bytes('p1'));
        expect(await alice.dialog()).toEqual([app(1, 0, 'p1')]);
        await world.advance(CONNECTION_TIMINGS.syncAfterMs);
        expect(await alice.dialog('Sync with the resend')).toEqual([app(1, 0, 'p1'), sync(2, 0)]);
        // The answer to a Sync gets no bare ack: the next Sync acknowledges it (its ack is 1).
        await alice.messages(ALICE, [{ seq: 1, ack: 2, body: { type: 'null', replyTo: 2 } }]);
        const answered = await hut.stepped((i) => i.type === 'messagesReceived' && i.messages.some((m) => m.body.type === 'null'));
        expect(answered.commands.filter((c) => c.type === 'writeDialog')).toEqual([]);
        await world.advance(CONNECTION_TIMINGS.syncAfterMs);
        expect(await alice.dialog('Sync alone: everything was acknowledged')).toEqual([sync(3, 1)]);
      });
    });
  });
}

