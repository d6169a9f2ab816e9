/**
 * Theory of operation: the hub's Prometheus metrics, in a `Registry` of
 * their own (never prom-client's global one, so two hubs in one process, or
 * an application's own metrics, never collide).
 *
 * - Counters come from what the hub reports as it runs: events (logins,
 *   sessions ended, takeovers, rejections, registrations, status changes)
 *   and the loop (`Hub.observe`: dialog messages received and written,
 *   transport command failures, group-commit latency).
 * - Gauges are read from the state at scrape time: registered clients by
 *   status and profile, online clients by status and profile, outbox depth, profiles by
 *   mode, the journal's position. One pass over the clients serves every
 *   gauge of a scrape (cached by state identity).
 *
 * Counters start at zero when the console starts (Prometheus handles
 * resets); gauges are always exact.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { HubCommand, HubEvent, HubState } from '@dialoghub/core';
import type { JournalRecord } from '@dialoghub/runtime';
import { clientsOf } from './queries.js';

/** Options of the metrics. */
export interface AdminMetricsOptions {
  /** Also collect prom-client's process metrics (CPU, memory, event-loop lag) into this registry. Default false. */
  readonly processMetrics?: boolean;
}

interface Scan {
  readonly state: HubState;
  readonly registered: Map<string, { profile: string; status: string; n: number }>;
  readonly online: Map<string, { profile: string; status: string; n: number }>;
  readonly outboxDepth: number;
  readonly outboxMax: number;
}

/** The console's metrics: feed it events and loop steps, scrape `registry`. */
export class AdminMetrics {
  /** The registry `/metrics` serves. */
  readonly registry = new Registry();
  /** Dialog messages received from clients since start (sequenced ones, duplicates included). */
  received = 0;
  /** Dialog messages written to clients since start (sequenced ones, resends included). */
  written = 0;

  private readonly logins: Counter<'via'>;
  private readonly sessionsEnded: Counter<'reason'>;
  private readonly takeovers: Counter<'conflict' | 'reason'>;
  private readonly rejections: Counter<'request' | 'reason'>;
  private readonly registrations: Counter;
  private readonly statusChanges: Counter<'to' | 'cause'>;
  private readonly messagesIn: Counter;
  private readonly messagesOut: Counter;
  private readonly transportErrors: Counter<'command'>;
  private readonly commitSeconds: Histogram;
  private scanned: Scan | null = null;

  constructor(
    private readonly source: { readonly state: HubState; readonly journalSeq: number },
    options: AdminMetricsOptions = {},
  ) {
    const registers = [this.registry];
    this.logins = new Counter({ name: 'dialoghub_logins_total', help: 'Sessions opened (clientOnline), by the request that opened them.', labelNames: ['via'], registers });
    this.sessionsEnded = new Counter({ name: 'dialoghub_sessions_ended_total', help: 'Sessions ended (clientOffline), by close reason.', labelNames: ['reason'], registers });
    this.takeovers = new Counter({ name: 'dialoghub_takeovers_total', help: 'Takeovers, by conflict and the loser\'s close reason.', labelNames: ['conflict', 'reason'], registers });
    this.rejections = new Counter({ name: 'dialoghub_requests_rejected_total', help: 'Refused connection-channel requests, by request kind and reason.', labelNames: ['request', 'reason'], registers });
    this.registrations = new Counter({ name: 'dialoghub_registrations_total', help: 'Clients registered.', registers });
    this.statusChanges = new Counter({ name: 'dialoghub_status_changes_total', help: 'Client status changes, by new status and cause.', labelNames: ['to', 'cause'], registers });
    this.messagesIn = new Counter({ name: 'dialoghub_messages_received_total', help: 'Sequenced dialog messages received from clients (duplicates included).', registers });
    this.messagesOut = new Counter({ name: 'dialoghub_messages_written_total', help: 'Sequenced dialog messages written to clients (resends included).', registers });
    this.transportErrors = new Counter({ name: 'dialoghub_transport_errors_total', help: 'Transport commands that failed (commandFailed), by command.', labelNames: ['command'], registers });
    this.commitSeconds = new Histogram({
      name: 'dialoghub_journal_commit_seconds',
      help: 'Wall-clock time of one group commit (store.append).',
      buckets: [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    const scan = (): Scan => this.scan();
    new Gauge({
      name: 'dialoghub_clients_registered',
      help: 'Registered clients by status and profile.',
      labelNames: ['status', 'profile'],
      registers,
      collect() {
        this.reset();
        for (const r of scan().registered.values()) this.set({ status: r.status, profile: r.profile }, r.n);
      },
    });
    new Gauge({
      name: 'dialoghub_clients_online',
      help: 'Online clients by status and profile (the core keeps only enabled clients online, so status is always enabled).',
      labelNames: ['status', 'profile'],
      registers,
      collect() {
        this.reset();
        for (const r of scan().online.values()) this.set({ status: r.status, profile: r.profile }, r.n);
      },
    });
    new Gauge({
      name: 'dialoghub_outbox_depth',
      help: 'Unacknowledged hub-to-client messages over all clients.',
      registers,
      collect() {
        this.set(scan().outboxDepth);
      },
    });
    new Gauge({
      name: 'dialoghub_outbox_depth_max',
      help: 'The deepest single client outbox.',
      registers,
      collect() {
        this.set(scan().outboxMax);
      },
    });
    const src = this.source;
    new Gauge({
      name: 'dialoghub_profiles',
      help: 'Profiles by management mode.',
      labelNames: ['mode'],
      registers,
      collect() {
        let manual = 0;
        for (const p of src.state.profiles.values()) if (p.mode === 'manual') manual++;
        this.set({ mode: 'manual' }, manual);
        this.set({ mode: 'auto' }, src.state.profiles.size - manual);
      },
    });
    new Gauge({
      name: 'dialoghub_journal_seq',
      help: 'Inputs in the hub\'s history (the journal\'s last seq).',
      registers,
      collect() {
        this.set(src.journalSeq);
      },
    });
    if (options.processMetrics === true) collectDefaultMetrics({ register: this.registry, prefix: 'dialoghub_process_' });
  }

  /** Counts a hub event. */
  event(e: HubEvent): void {
    switch (e.type) {
      case 'clientOnline':
        this.logins.inc({ via: e.via });
        break;
      case 'clientOffline':
        this.sessionsEnded.inc({ reason: e.reason });
        break;
      case 'takeover':
        this.takeovers.inc({ conflict: e.conflict, reason: e.reason });
        break;
      case 'requestRejected':
        this.rejections.inc({ request: e.request, reason: e.reason });
        break;
      case 'clientRegistered':
        this.registrations.inc();
        break;
      case 'statusChanged':
        this.statusChanges.inc({ to: e.to, cause: e.cause });
        break;
      case 'profileChanged':
      case 'clientDeleted':
        break;
      default: {
        const never: never = e;
        void never;
      }
    }
  }

  /** Counts what one loop step shows (a `Hub.observe` step callback). */
  step(record: JournalRecord, commands: readonly HubCommand[]): void {
    const input = record.input;
    if (input.type === 'messagesReceived') {
      let n = 0;
      for (const m of input.messages) if (typeof m?.seq === 'number' && m.seq > 0) n++;
      this.received += n;
      this.messagesIn.inc(n);
    } else if (input.type === 'commandFailed') {
      this.transportErrors.inc({ command: input.command });
    }
    for (const c of commands) {
      if (c.type !== 'writeDialog') continue;
      let n = 0;
      for (const m of c.messages) if (m.seq > 0) n++;
      this.written += n;
      this.messagesOut.inc(n);
    }
  }

  /** Records one group commit (a `Hub.observe` committed callback). */
  committed(_records: number, durationMs: number): void {
    this.commitSeconds.observe(durationMs / 1000);
  }

  /** The Prometheus text exposition. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  private scan(): Scan {
    const state = this.source.state;
    if (this.scanned !== null && this.scanned.state === state) return this.scanned;
    const registered = new Map<string, { profile: string; status: string; n: number }>();
    let outboxDepth = 0;
    let outboxMax = 0;
    for (const c of clientsOf(state)) {
      const key = `${c.profileId}|${c.status}`;
      const r = registered.get(key);
      if (r === undefined) registered.set(key, { profile: String(c.profileId), status: c.status, n: 1 });
      else r.n++;
      const depth = c.dialog?.outbox.length ?? 0;
      outboxDepth += depth;
      if (depth > outboxMax) outboxMax = depth;
    }
    const online = new Map<string, { profile: string; status: string; n: number }>();
    for (const s of state.sessions.values()) {
      const depth = s.dialog.outbox.length;
      outboxDepth += depth;
      if (depth > outboxMax) outboxMax = depth;
      const client = state.clients.get(s.clientId);
      const profile = String(client?.profileId ?? 0);
      const status = client?.status ?? 'enabled';
      const key = `${profile}|${status}`;
      const r = online.get(key);
      if (r === undefined) online.set(key, { profile, status, n: 1 });
      else r.n++;
    }
    this.scanned = { state, registered, online, outboxDepth, outboxMax };
    return this.scanned;
  }
}
