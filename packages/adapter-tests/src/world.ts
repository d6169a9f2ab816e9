/**
 * Theory of operation: the world one conformance test runs in — a real
 * `Hub` from @dialoghub/runtime on top of the transport under test, with
 * everything else made deterministic: a `ManualClock` (time moves only when
 * a test says so), `seededEntropy` (the same secrets every run) and a
 * `GatedStore` (a `MemoryStore` whose commits a test can hold). The store and
 * the clock belong to the world, not to a hub, so a test can stop one hub and
 * open another on the same state (the restart scenario).
 *
 * Everything observable is recorded in `WatchList`s — the transport's record,
 * the stepped inputs with their commands, the hub's logs and events, the
 * application messages handled — so tests await conditions and never sleep.
 * When a test ends, every hub is closed and the contract rules are checked
 * over each transport's record; a hub log at level `error` fails the test too.
 */
import {
  CONNECTION_TIMINGS,
  type ClientId,
  type HubCommand,
  type HubConfig,
  type HubEvent,
  type HubInput,
  type LinkId,
  type ProfileId,
} from '@dialoghub/core';
import { Hub, ManualClock, seededEntropy, type LogCommand } from '@dialoghub/runtime';
import { GatedStore } from './gated-store.js';
import type { TransportHarness, TransportSetup } from './harness.js';
import { RecordingTransport } from './recording-transport.js';
import { ECHO, NOTE, SuitePeer, textOf } from './suite-peer.js';
import { checkTransportRules } from './transport-rules.js';
import { WatchList } from './watch-list.js';

/** The suite's epoch: 2026-01-01T00:00:00Z. Any value would do; a real date reads well in logs. */
export const T0 = 1_767_225_600_000;

/** The hub config every scenario runs with: `replaceOld`, connection timings, the suite's two app types. */
export const SUITE_CONFIG: HubConfig = Object.freeze({ policy: 'replaceOld', appMessageTypes: [NOTE, ECHO], ...CONNECTION_TIMINGS });

/** Profiles created in every world; one client per profile avoids takeovers unless a test wants one. */
export const PROFILE_IDS = Object.freeze({ alpha: 1, bravo: 2, charlie: 3 });

/** An application message the suite's handler saw. */
export interface Handled {
  readonly clientId: ClientId;
  readonly seq: number;
  readonly appType: string;
  readonly text: string;
}

/** One input the hub stepped, with the commands it produced. */
export interface Stepped {
  readonly input: HubInput;
  readonly commands: readonly HubCommand[];
}

/** One hub on one harness, and everything it was seen doing. */
export class HubUnderTest {
  readonly recorder: RecordingTransport;
  readonly steps = new WatchList<Stepped>();
  readonly logs = new WatchList<LogCommand>();
  readonly events = new WatchList<HubEvent>();
  readonly handled = new WatchList<Handled>();
  private opened: Hub | null = null;
  private closing: Promise<void> | null = null;

  constructor(
    private readonly world: World,
    readonly harness: TransportHarness,
  ) {
    this.recorder = new RecordingTransport(harness.transport);
  }

  /** The running hub. */
  get hub(): Hub {
    if (this.opened === null) throw new Error('the hub is not open');
    return this.opened;
  }

  /** Opens the hub on the world's store and clock (recovering whatever the store holds) and installs the suite's handlers. */
  async open(): Promise<void> {
    this.opened = await Hub.open({
      transport: this.recorder,
      config: SUITE_CONFIG,
      store: this.world.store,
      clock: this.world.clock,
      entropy: seededEntropy(20_260_101),
      snapshotEvery: 1_000_000,
      log: (entry) => this.logs.push(entry),
      onStep: (record, commands) => this.steps.push({ input: record.input, commands }),
    });
    const hub = this.opened;
    hub.onAny((event) => this.events.push(event));
    hub.handle(NOTE, (d) => {
      this.handled.push({ clientId: d.clientId, seq: d.seq, appType: d.appType, text: textOf(d.payload) });
    });
    hub.handle(ECHO, async (d) => {
      this.handled.push({ clientId: d.clientId, seq: d.seq, appType: d.appType, text: textOf(d.payload) });
      const outcome = await d.reply(d.payload);
      if (!outcome.ok) throw new Error(`echo reply refused: ${outcome.message}`);
    });
  }

  /** Opens a client link through the harness. */
  async connect(name: string): Promise<SuitePeer> {
    const peer = await this.harness.connect();
    return new SuitePeer(name, peer, () => this.world.nextRequestId());
  }

  /**
   * The link a request arrived on, once the transport has reported it: by the
   * request's world-unique id, or a peer's first request.
   */
  async linkOf(of: number | SuitePeer): Promise<LinkId> {
    const requestId = typeof of === 'number' ? of : of.requestIds[0];
    if (requestId === undefined) throw new Error(`${(of as SuitePeer).name} has sent no request yet`);
    const fact = await this.recorder.fact((e) => e.type === 'requestReceived' && e.request.requestId === requestId);
    return fact.link;
  }

  /** Resolves with the first stepped input matching `match`. */
  async stepped(match: (input: HubInput) => boolean): Promise<Stepped> {
    return this.steps.first((s) => match(s.input));
  }

  /** Resolves once `count` application messages from `clientId` were handled; returns all of that client's, in order. */
  async handledFrom(clientId: ClientId, count: number): Promise<Handled[]> {
    return this.handled.count((h) => h.clientId === clientId, count);
  }

  /** The application messages handled for `clientId` so far, in order, as `seq:text`. */
  handledSoFar(clientId: ClientId): string[] {
    return this.handled.items.filter((h) => h.clientId === clientId).map((h) => `${h.seq}:${h.text}`);
  }

  /** True once `close()` was called. */
  get isClosed(): boolean {
    return this.closing !== null;
  }

  /** Closes the hub (which stops the transport: every open link is told `shutdown`). Idempotent. */
  close(): Promise<void> {
    if (this.closing === null) this.closing = this.opened === null ? Promise.resolve() : this.opened.close();
    return this.closing;
  }

  /** Contract violations in the transport's record, and the hub's error logs. */
  problems(): string[] {
    const problems = checkTransportRules(this.recorder.record.items);
    for (const log of this.logs.items) {
      if (log.level === 'error') problems.push(`hub logged an error: ${log.event} ${JSON.stringify(log.detail)}`);
    }
    return problems;
  }
}

/** Everything one test owns: the store, the clock, the harnesses and hubs it opened. */
export class World {
  readonly store = new GatedStore();
  readonly clock = new ManualClock(T0);
  readonly hubs: HubUnderTest[] = [];
  private requestIds = 0;
  private profilesCreated = false;

  constructor(private readonly setup: TransportSetup) {}

  /** A request id no other request of this world used, so a fact can be traced to the request that caused it. */
  nextRequestId(): number {
    return ++this.requestIds;
  }

  /**
   * Makes a fresh harness and opens a hub on it, on the world's store. The
   * first hub also creates the suite's profiles.
   */
  async openHub(): Promise<HubUnderTest> {
    const harness = await this.setup();
    const hut = new HubUnderTest(this, harness);
    this.hubs.push(hut);
    await hut.open();
    if (!this.profilesCreated) {
      this.profilesCreated = true;
      for (const [name, id] of Object.entries(PROFILE_IDS)) {
        const outcome = await hut.hub.operate({ type: 'profileCreated', profileId: id as ProfileId, name });
        if (!outcome.ok) throw new Error(`could not create profile ${name}: ${outcome.message}`);
      }
    }
    return hut;
  }

  /** Moves the clock forward (firing the hubs' timers) and waits until every open hub has stepped what that caused. */
  async advance(ms: number): Promise<void> {
    this.clock.advanceBy(ms);
    for (;;) {
      for (const hut of this.hubs) if (!hut.isClosed) await hut.hub.drain();
      // A hub that re-arms its timer for a time already reached is woken now, as a real clock would.
      const due = this.clock.nextTimer();
      if (due === undefined || due > this.clock.now()) return;
      this.clock.advanceBy(0);
    }
  }

  /** Closes every hub, then returns the problems found in all of them. */
  async finish(): Promise<string[]> {
    const problems: string[] = [];
    for (const [i, hut] of this.hubs.entries()) {
      await hut.close();
      for (const p of hut.problems()) problems.push(this.hubs.length > 1 ? `hub ${i + 1}: ${p}` : p);
    }
    return problems;
  }

  /** Tears every harness down, even after a failure; closes hubs first where it can. */
  async teardown(): Promise<void> {
    const errors: unknown[] = [];
    // A test that failed while holding the store would leave the hub unable to close.
    this.store.release();
    for (const hut of this.hubs) {
      try {
        await hut.close();
      } catch (error) {
        errors.push(error);
      }
      try {
        await hut.harness.teardown();
      } catch (error) {
        errors.push(error);
      }
    }
    if (errors.length > 0) throw errors[0];
  }
}
