/**
 * Theory of operation: the hub driver — the shell's loop, not its logic.
 *
 * 1. Facts arrive from the transport (and actions from the application or an
 *    operator) and wait in one queue. Requests pass the application's
 *    authentication hook first, in per-link order; a registration gets its
 *    secret from the entropy source here.
 * 2. The loop takes the queued inputs and steps the core with each, one at a
 *    time, in order, at the clock's `now`.
 * 3. The whole batch is appended to the store in one flush (group commit)
 *    *before* any command of the batch runs: nothing the hub answers `ok` to,
 *    acknowledges or pushes out can be lost by a crash.
 * 4. The commands run in order: transport commands go to the adapter (a
 *    failure comes back as a `commandFailed` input), hand-overs to the
 *    application's handlers (confirmed with `appMessageHandled`), events to
 *    listeners, action results to the promise that asked.
 * 5. One timer is armed at `nextDeadline(state)`.
 * 6. Now and then the state is snapshotted so recovery stays short: serialized
 *    a slice at a time and written by the store while the loop goes on (the
 *    state is an immutable value; `startSnapshot`).
 * 7. The loop starts on a microtask after the first input of a burst, so the
 *    frames of one transport chunk (and the confirmations settled in the same
 *    turn) are stepped as one batch and share one commit.
 * 8. If the store fails (an append or a snapshot throws), the hub has lost
 *    durability: it stops at once — the failed batch's commands never run,
 *    pending actions are refused with `storeFailed`, the transport is
 *    stopped, `onFailure` is called — rather than reveal effects that a
 *    restart would forget.
 *
 * No protocol decision lives here: the driver never looks inside a request or
 * a message except to route it.
 */
import {
  initialState,
  nextDeadline,
  pendingDeliveries,
  redactInput,
  step,
  type ActionId,
  type AppTarget,
  type ClientId,
  type HubCommand,
  type HubConfig,
  type HubEvent,
  type HubInput,
  type HubState,
  type LinkId,
  type OperatorInput,
  type ProfileId,
  type Request,
} from '@dialoghub/core';
import { deserialize, serialize, serializeInSlices, type SliceLimits } from '@dialoghub/core';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { systemClock, type CancelTimer, type Clock } from './clock.js';
import { cryptoEntropy, type Entropy } from './entropy.js';
import { MemoryStore, type HubStore, type JournalRecord, type RecoveryVisitor } from './store.js';
import { isTransportCommand, type HubTransport, type TransportEvent } from './transport.js';

/** The outcome of an operator or application action, as the core decided it. */
export interface ActionOutcome {
  readonly ok: boolean;
  /** Machine-readable reason when refused. */
  readonly reason: string | null;
  readonly message: string;
}

/** An application message handed to a handler. `(clientId, seq)` identifies it for good. */
export interface Delivery {
  readonly clientId: ClientId;
  readonly seq: number;
  readonly appType: string;
  readonly payload: Uint8Array;
  /** The hub message this answers, or 0. */
  readonly replyTo: number;
  /** Answers this message (same type unless given): sequenced, acknowledged and resent like any message. */
  reply(payload: Uint8Array, appType?: string): Promise<ActionOutcome>;
}

export type DeliveryHandler = (delivery: Delivery) => void | Promise<void>;

/** The application's authentication hook: return false to refuse the requester. */
export type Authenticate = (request: Request, link: LinkId) => boolean | Promise<boolean>;

export type LogCommand = Extract<HubCommand, { type: 'log' }>;

export interface HubOptions {
  transport: HubTransport;
  /** The core's config; used when the store holds no hub yet (a restored hub keeps its own). */
  config?: HubConfig;
  /** Where the hub's state lives. Default: a `MemoryStore` (no durability). */
  store?: HubStore;
  clock?: Clock;
  entropy?: Entropy;
  authenticate?: Authenticate;
  /** Inputs between snapshots. Default 100 000. */
  snapshotEvery?: number;
  /** Most inputs stepped per group commit. Default 4096. */
  maxBatch?: number;
  /** Receives the core's log commands. Default: dropped. */
  log?: (entry: LogCommand, now: number) => void;
  /** Sees every stepped input with its commands (for traces and tests). */
  onStep?: (record: JournalRecord, commands: readonly HubCommand[]) => void;
  /**
   * Called once the hub is recovered and before anything of the previous run
   * is replayed to the application (sessions ended by the restart, messages
   * whose handling was not confirmed): register handlers and listeners here so
   * that none of it is missed.
   */
  setup?: (hub: Hub) => void;
  /**
   * Called once if the hub stops on a store failure (see the theory of
   * operation, point 8). Later actions reject with the same error.
   */
  onFailure?: (error: Error) => void;
}

type Listener = (event: HubEvent) => void;

/**
 * Watches the hub's loop from outside, for consoles and metrics (`Hub.observe`).
 * Every callback is optional; one that throws is logged (`observerFailed`) and
 * the loop goes on. Observers see the loop, they never steer it.
 */
export interface HubObserver {
  /** Every stepped input with its commands, right after the step (as `HubOptions.onStep`). */
  step?(record: JournalRecord, commands: readonly HubCommand[]): void;
  /**
   * A group commit finished: `records` inputs were made durable by one
   * `store.append`, which took `durationMs` of wall-clock time
   * (`performance.now`, measured only while an observer is attached).
   */
  committed?(records: number, durationMs: number): void;
}

/**
 * A running hub: the core, a transport, a store, a clock. Create it with
 * `Hub.open`, which recovers the state from the store first.
 */
export class Hub {
  private queue: HubInput[] = [];
  /**
   * When each queued input arrived, by the hub's clock (parallel to `queue`).
   * An input is stepped at its arrival time (or the state's time, if later),
   * not at the moment the loop gets to it: a timer's input carries the time it
   * fired even when the loop runs a little later.
   */
  private arrivals: number[] = [];
  /**
   * Inputs of the restart itself (the previous run's links are gone), stepped
   * at the last journaled time: the links died then or later, and stepping
   * them at the wall clock after a long outage would first fire every
   * session's heartbeat timeout and tell links of the previous run about it.
   */
  private restartInputs = new Set<HubInput>();
  private pumping: Promise<void> | null = null;
  /** A pump start is queued on a microtask. */
  private pumpQueued = false;
  private closed = false;
  /** Set when the store failed: the hub has stopped. */
  private failure: Error | null = null;
  private closing: Promise<void> | null = null;
  private timerAt: number | undefined;
  private cancelTimer: CancelTimer | undefined;
  private snapSeq: number;
  /** The periodic snapshot being stored, if any: the loop goes on meanwhile (`takeSnapshot`). */
  private snapshotting: Promise<void> | null = null;
  private actionSeq = 0;
  private readonly pendingActions = new Map<ActionId, (outcome: ActionOutcome) => void>();
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly observers = new Set<HubObserver>();
  private readonly handlers = new Map<string, DeliveryHandler>();
  private readonly linkChains = new Map<number, Promise<void>>();
  private readonly deliveryChains = new Map<number, Promise<void>>();
  private readonly clock: Clock;
  private readonly entropy: Entropy;
  private readonly store: HubStore;
  private readonly snapshotEvery: number;
  private readonly maxBatch: number;

  private constructor(
    private readonly options: HubOptions,
    private current: HubState,
    private seq: number,
  ) {
    this.clock = options.clock ?? systemClock;
    this.entropy = options.entropy ?? cryptoEntropy;
    this.store = options.store ?? new MemoryStore();
    this.snapshotEvery = options.snapshotEvery ?? 100_000;
    this.maxBatch = options.maxBatch ?? 4096;
    this.snapSeq = seq;
  }

  /**
   * Recovers the hub from its store (snapshot, then the journal after it),
   * takes every session of the previous run offline (its links are gone),
   * hands over again any application message whose handling was not
   * confirmed, starts the transport and arms the timer.
   */
  static async open(options: HubOptions): Promise<Hub> {
    const store: HubStore = options.store ?? new MemoryStore();
    const clock = options.clock ?? systemClock;
    // Restore the snapshot, then step every record after it (their commands
    // were run, or never revealed, before the crash). Streamed when the store
    // can: one record alive at a time, however long the journal.
    let state: HubState | undefined;
    let seq = 0;
    let firstSnapshot: Uint8Array | null = null;
    const visitor: RecoveryVisitor = {
      snapshot(snapshot) {
        if (snapshot === null) {
          state = initialState(options.config ?? {}, clock.now());
          firstSnapshot = serialize(state);
          seq = 0;
          return;
        }
        const restored = deserialize(snapshot.bytes);
        if (!restored.ok) throw new Error(`cannot restore the hub's snapshot: ${restored.error.message}`);
        state = restored.value;
        seq = snapshot.seq;
      },
      record(r) {
        if (state === undefined) throw new Error('the store reported a record before its snapshot');
        if (r.seq !== seq + 1) throw new Error(`journal gap: record ${r.seq} follows ${seq}`);
        state = step(state, r.input, r.now).state;
        seq = r.seq;
      },
    };
    if (store.recoverEach !== undefined) {
      await store.recoverEach(visitor);
    } else {
      const recovered = await store.recover();
      visitor.snapshot(recovered.snapshot);
      for (const r of recovered.records) visitor.record(r);
    }
    if (state === undefined) throw new Error('the store reported no snapshot at all (not even null)');
    // A new hub: its config and creation time are durable before its first input.
    if (firstSnapshot !== null) await store.snapshot(firstSnapshot, 0);
    const hub = new Hub({ ...options, store, clock }, state, seq);
    options.setup?.(hub);
    // Links of a previous run are gone: their sessions end as lost connections.
    for (const session of state.sessions.values()) {
      const input: HubInput = { type: 'connectionClosed', link: session.link, cause: 'hubRestarted' };
      hub.restartInputs.add(input);
      hub.queue.push(input);
      hub.arrivals.push(state.now);
    }
    await hub.drain();
    for (const c of pendingDeliveries(hub.current)) hub.run([c]);
    await options.transport.start((event) => hub.accept(event));
    hub.armTimer();
    return hub;
  }

  /** The hub's current state (immutable). */
  get state(): HubState {
    return this.current;
  }

  /** Number of inputs in the hub's history. */
  get journalSeq(): number {
    return this.seq;
  }

  /** The store failure that stopped the hub, or null while it runs. */
  get failed(): Error | null {
    return this.failure;
  }

  // ---- application API --------------------------------------------------------

  /** Listens to one kind of hub event. Returns a function that stops listening. */
  on<T extends HubEvent['type']>(type: T, listener: (event: Extract<HubEvent, { type: T }>) => void): () => void {
    let set = this.listeners.get(type);
    if (set === undefined) this.listeners.set(type, (set = new Set()));
    set.add(listener as Listener);
    return () => set.delete(listener as Listener);
  }

  /** Listens to every hub event. */
  onAny(listener: Listener): () => void {
    return this.on('*' as HubEvent['type'], listener as never);
  }

  /**
   * Attaches an observer of the loop (steps and group commits), e.g. an
   * operator console's metrics. Unlike `HubOptions.onStep` it can be attached
   * to a hub that is already open. Returns a function that detaches it.
   */
  observe(observer: HubObserver): () => void {
    this.observers.add(observer);
    return () => this.observers.delete(observer);
  }

  /**
   * Handles application messages of `appType` (the type must be listed in the
   * config's `appMessageTypes`). Messages from one client reach the handler in
   * order, one at a time; the next waits until the handler's promise settles.
   */
  handle(appType: string, handler: DeliveryHandler): void {
    this.handlers.set(appType, handler);
  }

  /** Sends an application message to a client; offline enabled clients get it when they come back. */
  send(clientId: ClientId, appType: string, payload: Uint8Array, replyTo = 0): Promise<ActionOutcome> {
    return this.act({ type: 'appMessageSent', to: { clientId }, appType, payload, replyTo });
  }

  /** Sends an application message to whichever client is enabled in the profile. */
  sendToProfile(profileId: ProfileId, appType: string, payload: Uint8Array): Promise<ActionOutcome> {
    return this.act({ type: 'appMessageSent', to: { profileId } as AppTarget, appType, payload, replyTo: 0 });
  }

  /** Sends to the enabled client of each profile; resolves with one outcome per profile, in order. */
  broadcast(profileIds: readonly ProfileId[], appType: string, payload: Uint8Array): Promise<ActionOutcome[]> {
    return Promise.all(profileIds.map((p) => this.sendToProfile(p, appType, payload)));
  }

  /** Runs an operator action through the core (journaled, replayable) and resolves with its outcome. */
  operate(action: DistributiveOmit<OperatorInput, 'actionId'>): Promise<ActionOutcome> {
    return this.act(action);
  }

  /** Stops the transport (every link is told `shutdown`), finishes queued work, snapshots and closes the store. */
  async close(): Promise<void> {
    if (this.closing !== null) return this.closing;
    this.closing = (async () => {
      await this.options.transport.stop();
      if (this.failure !== null) {
        // Nothing more may be journaled or snapshotted: the in-memory state is ahead of the store.
        this.closed = true;
        await this.store.close().catch(() => {});
        return;
      }
      // Handlers still running finish and their confirmations are committed before the hub stops.
      for (;;) {
        await this.drain();
        const chains = [...this.deliveryChains.values()];
        if (chains.length === 0 && this.queue.length === 0) break;
        await Promise.all(chains);
      }
      if (this.failure !== null) {
        // A periodic snapshot failed while draining: the hub has stopped (as above).
        await this.store.close().catch(() => {});
        return;
      }
      this.closed = true;
      this.cancelTimer?.();
      await this.takeSnapshot();
      await this.store.close();
    })();
    return this.closing;
  }

  /**
   * Resolves when every queued input has been stepped, committed and its
   * commands started, and a periodic snapshot being written is stored.
   */
  async drain(): Promise<void> {
    while (this.pumping !== null || this.queue.length > 0 || this.snapshotting !== null) {
      if (this.pumping === null && this.queue.length > 0) this.pumping = this.pump();
      await (this.pumping ?? this.snapshotting);
    }
  }

  // ---- the loop --------------------------------------------------------------

  private act(input: DistributiveOmit<Exclude<HubInput, { type: 'timerFired' | 'appMessageHandled' } | TransportEvent | { type: 'commandFailed' }>, 'actionId'>): Promise<ActionOutcome> {
    if (this.failure !== null) return Promise.reject(this.failure);
    if (this.closed) return Promise.reject(new Error('the hub is closed'));
    const actionId = `a${++this.actionSeq}`;
    return new Promise<ActionOutcome>((resolve) => {
      this.pendingActions.set(actionId, resolve);
      this.enqueue({ ...input, actionId } as HubInput);
    });
  }

  /** A fact from the transport. Requests wait for the authentication hook, in per-link order. */
  private accept(event: TransportEvent): void {
    if (this.closed) return;
    const auth = this.options.authenticate;
    const link = event.link as number;
    const prior = this.linkChains.get(link);
    if (prior === undefined && (event.type !== 'requestReceived' || auth === undefined)) {
      this.enqueue(this.withEntropy(event));
      if (event.type === 'connectionClosed') this.linkChains.delete(link);
      return;
    }
    const next = (prior ?? Promise.resolve()).then(async () => {
      let input: HubInput = this.withEntropy(event);
      if (event.type === 'requestReceived' && auth !== undefined && event.request.kind !== 'profiles') {
        let allowed = false;
        try {
          allowed = await auth(event.request, event.link);
        } catch {
          allowed = false;
        }
        if (!allowed) input = { ...(input as Extract<HubInput, { type: 'requestReceived' }>), denied: true };
      }
      this.enqueue(input);
    });
    this.linkChains.set(link, next);
    void next.then(() => {
      if (this.linkChains.get(link) === next) this.linkChains.delete(link);
    });
  }

  private withEntropy(event: TransportEvent): HubInput {
    if (event.type === 'requestReceived' && event.request.kind === 'register' && event.issued === undefined) {
      return { ...event, issued: { secret: this.entropy.secret() } };
    }
    return event;
  }

  private enqueue(input: HubInput): void {
    this.queue.push(input);
    this.arrivals.push(this.clock.now());
    if (this.pumping !== null || this.pumpQueued || this.closed) return;
    this.pumpQueued = true;
    queueMicrotask(() => {
      this.pumpQueued = false;
      if (this.pumping === null && !this.closed && this.queue.length > 0) this.pumping = this.pump();
    });
  }

  private async pump(): Promise<void> {
    try {
      await this.pumpBatches();
    } catch (error) {
      this.fail(error instanceof Error ? error : new Error(String(error)));
    } finally {
      this.pumping = null;
      // An input enqueued while this pump was finishing (after its last
      // queue check, before this line) saw it still running and started
      // nothing: start again for it, or that input would wait for the next one.
      if (this.queue.length > 0 && !this.closed && !this.pumpQueued) this.pumping = this.pump();
    }
  }

  /** Stops the hub after a store failure (theory of operation, point 8). */
  private fail(error: Error): void {
    if (this.failure !== null) return;
    const failure = new Error(`the hub stopped: its store failed (${error.message})`, { cause: error });
    this.failure = failure;
    this.closed = true;
    this.queue.length = 0;
    this.arrivals.length = 0;
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    this.timerAt = undefined;
    for (const resolve of this.pendingActions.values()) resolve({ ok: false, reason: 'storeFailed', message: failure.message });
    this.pendingActions.clear();
    this.options.log?.({ type: 'log', level: 'error', event: 'storeFailed', clientId: null, detail: { error: error.message } }, this.clock.now());
    void this.options.transport.stop().catch(() => {});
    try {
      this.options.onFailure?.(failure);
    } catch {
      // The application's callback must not hide the failure.
    }
  }

  private async pumpBatches(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      const arrivals = this.arrivals.splice(0, batch.length);
      const records: JournalRecord[] = [];
      const outputs: (readonly HubCommand[])[] = [];
      for (let i = 0; i < batch.length; i++) {
        const input = batch[i]!;
        const now = this.restartInputs.delete(input) ? this.current.now : Math.max(this.current.now, arrivals[i]!);
        let result;
        try {
          result = step(this.current, input, now);
        } catch (error) {
          this.refuseAction(input, error);
          continue;
        }
        this.current = result.state;
        const record: JournalRecord = { seq: ++this.seq, now, input: redactInput(input) };
        records.push(record);
        outputs.push(result.commands);
        this.options.onStep?.(record, result.commands);
        if (this.observers.size > 0) this.notifyObservers((o) => o.step?.(record, result.commands));
      }
      // Group commit: one flush for the batch, before any of its effects is revealed.
      if (records.length > 0) {
        const timed = this.observers.size > 0;
        const started = timed ? performance.now() : 0;
        await this.store.append(records);
        if (timed) {
          const ms = performance.now() - started;
          this.notifyObservers((o) => o.committed?.(records.length, ms));
        }
      }
      for (const commands of outputs) this.run(commands);
      if (this.seq - this.snapSeq >= this.snapshotEvery && this.snapshotting === null) this.startSnapshot();
      this.armTimer();
    }
  }

  /** An input the core refused as misuse (HubUsageError): an action's promise learns why; anything else is logged. */
  private refuseAction(input: HubInput, error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    if ('actionId' in input) {
      const resolve = this.pendingActions.get(input.actionId);
      this.pendingActions.delete(input.actionId);
      resolve?.({ ok: false, reason: 'invalidInput', message });
    }
    this.options.log?.({ type: 'log', level: 'error', event: 'inputRefused', clientId: null, detail: { input: input.type, message } }, this.clock.now());
  }

  private run(commands: readonly HubCommand[]): void {
    for (const c of commands) {
      if (isTransportCommand(c)) {
        this.options.transport.execute(c).catch((error: unknown) => {
          this.enqueue({
            type: 'commandFailed',
            commandId: c.commandId,
            command: c.type,
            link: c.link,
            reason: error instanceof Error ? error.message : String(error),
          });
        });
        continue;
      }
      switch (c.type) {
        case 'commit':
          break;
        case 'deliver':
          this.deliver(c);
          break;
        case 'notify':
          this.emit(c.event);
          break;
        case 'actionResult': {
          const resolve = this.pendingActions.get(c.actionId);
          this.pendingActions.delete(c.actionId);
          resolve?.({ ok: c.ok, reason: c.reason, message: c.message });
          break;
        }
        case 'log':
          this.options.log?.(c, this.current.now);
          break;
        default: {
          const never: never = c;
          throw new Error(`unknown command ${JSON.stringify(never)}`);
        }
      }
    }
  }

  private deliver(c: Extract<HubCommand, { type: 'deliver' }>): void {
    const handler = this.handlers.get(c.appType);
    const delivery: Delivery = {
      clientId: c.clientId,
      seq: c.seq,
      appType: c.appType,
      payload: c.payload,
      replyTo: c.replyTo,
      reply: (payload, appType) => this.send(c.clientId, appType ?? c.appType, payload, c.seq),
    };
    const key = c.clientId as number;
    const prior = this.deliveryChains.get(key) ?? Promise.resolve();
    const next = prior.then(async () => {
      if (handler === undefined) {
        this.options.log?.({ type: 'log', level: 'warn', event: 'noHandler', clientId: c.clientId, detail: { appType: c.appType, seq: c.seq } }, this.clock.now());
      } else {
        try {
          await handler(delivery);
        } catch (error) {
          // A throwing handler is the application's bug: logged, and the message counts as handled (no endless redelivery).
          this.options.log?.(
            { type: 'log', level: 'error', event: 'handlerFailed', clientId: c.clientId, detail: { appType: c.appType, seq: c.seq, error: String(error) } },
            this.clock.now(),
          );
        }
      }
      if (!this.closed) this.enqueue({ type: 'appMessageHandled', clientId: c.clientId, seq: c.seq });
    });
    this.deliveryChains.set(key, next);
    void next.then(() => {
      if (this.deliveryChains.get(key) === next) this.deliveryChains.delete(key);
    });
  }

  private emit(event: HubEvent): void {
    for (const key of [event.type, '*']) {
      const set = this.listeners.get(key);
      if (set === undefined) continue;
      for (const listener of set) {
        try {
          listener(event);
        } catch (error) {
          this.options.log?.({ type: 'log', level: 'error', event: 'listenerFailed', clientId: null, detail: { event: event.type, error: String(error) } }, this.clock.now());
        }
      }
    }
  }

  private notifyObservers(call: (observer: HubObserver) => void): void {
    for (const observer of this.observers) {
      try {
        call(observer);
      } catch (error) {
        this.options.log?.({ type: 'log', level: 'error', event: 'observerFailed', clientId: null, detail: { error: String(error) } }, this.clock.now());
      }
    }
  }

  private armTimer(): void {
    if (this.closed) return;
    const at = nextDeadline(this.current);
    if (at === this.timerAt) return;
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    this.timerAt = at;
    if (at === undefined) return;
    this.cancelTimer = this.clock.setTimer(at, () => {
      this.timerAt = undefined;
      this.cancelTimer = undefined;
      this.enqueue({ type: 'timerFired' });
    });
  }

  /** Stores a snapshot of the current state now and waits for it (at close). */
  private async takeSnapshot(): Promise<void> {
    if (this.snapSeq === this.seq) return;
    const seq = this.seq;
    await this.store.snapshot(serialize(this.current), seq);
    this.snapSeq = seq;
  }

  /**
   * Starts a periodic snapshot and lets the loop go on while it is made: the
   * state is an immutable value, so it is serialized a slice at a time
   * (`SNAPSHOT_SLICE` between two turns of the event loop)
   * while the next inputs are stepped and committed, and the
   * store writes and syncs the file (seconds, for a large hub) meanwhile too.
   * A failure stops the hub, as a failed append does.
   */
  private startSnapshot(): void {
    const seq = this.seq;
    const state = this.current;
    const make = async (): Promise<void> => {
      const slices = serializeInSlices(state, SNAPSHOT_SLICE);
      let r = slices.next();
      while (!r.done) {
        // A turn of the event loop (not a timer: a test's fake clock does not hold it up).
        await nextTurn();
        if (this.failure !== null) return; // the hub stopped meanwhile: nothing more is stored
        r = slices.next();
      }
      await this.store.snapshot(r.value, seq);
    };
    this.snapshotting = make().then(
      () => {
        this.snapSeq = Math.max(this.snapSeq, seq);
        this.snapshotting = null;
      },
      (error: unknown) => {
        this.snapshotting = null;
        this.fail(error instanceof Error ? error : new Error(String(error)));
      },
    );
  }
}

/**
 * How much of a periodic snapshot is serialized between two turns of the
 * event loop: 2 048 table entries (profiles, clients, sessions) or 1 MiB,
 * whichever comes first — a few milliseconds of work (docs/runtime.md §6,
 * `snapshot_pause`).
 */
export const SNAPSHOT_SLICE: SliceLimits = Object.freeze({ entries: 2048, bytes: 1 << 20 });

/** Omit that distributes over a union. */
export type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
