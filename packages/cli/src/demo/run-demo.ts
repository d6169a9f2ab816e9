/**
 * Theory of operation: `dialoghub demo` end to end, in one process:
 *
 * 1. a hub — the runtime's `Hub` with the TCP transport on an ephemeral
 *    loopback port and an in-memory store — records every step with its
 *    commands into `trace.dhj` (`TraceRecorder`), and its application
 *    handler books every message it is handed;
 * 2. N client engines over real TCP register into profiles under the three
 *    policies (layout.ts) and play the three acts of scenario.ts;
 * 3. meanwhile every online engine sends chat messages, the hub pushes to
 *    online clients and answers a third of what it gets, and links are cut
 *    now and then (a reset: the engine must resume without losing anything);
 * 4. at the end traffic stops, the run settles (bounded), the engines close,
 *    the hub closes, and the books are balanced (ledger.ts): anything
 *    acknowledged and never delivered is lost; the final state must pass
 *    `checkInvariants`; the trace is drawn as `timeline.html`.
 *
 * The demo decides nothing about the protocol: it only acts like
 * installations and an application would, and counts.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { checkInvariants, clientDialogOf, profileId as toProfileId, type ClientId, type HubCommand, type HubEvent, type Policy } from '@dialoghub/core';
import { Hub, MemoryStore, type JournalRecord } from '@dialoghub/runtime';
import { TcpTransport } from '@dialoghub/adapter-tcp';
import { renderTimelineFileWithModel } from '@dialoghub/sim';
import type { CommandContext } from '../command.js';
import { asInputError } from '../errors.js';
import { fractionBar } from '../output/progress.js';
import { TraceRecorder } from '../serve/trace-recorder.js';
import { CredentialStore, DemoEngine } from './engine.js';
import { demoLayout, type DemoLayout } from './layout.js';
import { Ledger, payloadText, type LedgerSummary } from './ledger.js';
import { Pulse } from './pulse.js';
import { ACTS, firstComesBack, otherClientArrives, sameClientTwice, type ProfileCast, type Stage } from './scenario.js';

export interface DemoOptions {
  readonly clients: number;
  readonly seconds: number;
  /** Where `trace.dhj` and `timeline.html` go (created if missing). */
  readonly out: string;
}

type Counts = Record<string, number>;

export interface DemoResult {
  readonly clients: number;
  readonly seconds: number;
  readonly wallSeconds: number;
  readonly address: { readonly host: string; readonly port: number };
  readonly profiles: number;
  /** Clients per policy. */
  readonly policies: Readonly<Record<Policy, number>>;
  /** Client engines started over the run (second connections and comebacks included). */
  readonly engines: number;
  readonly registrations: number;
  /** Sessions opened, by request kind (`register`, `login`, `start`…). */
  readonly logins: Counts;
  /** Automatic re-logins of an engine after its link was lost (`relogon` ok). */
  readonly resumes: number;
  /** Links the demo cut. */
  readonly drops: number;
  readonly takeovers: Counts;
  readonly takeoversByPolicy: Readonly<Record<Policy, Counts>>;
  readonly rejections: Counts;
  readonly rejectionsByPolicy: Readonly<Record<Policy, Counts>>;
  /** Sessions ended, by reason. */
  readonly offline: Counts;
  /** Engines that stopped for good, by reason. */
  readonly stopped: Counts;
  readonly messages: LedgerSummary;
  readonly delivered: number;
  readonly lost: number;
  readonly duplicates: number;
  /**
   * Whether the run settled at the end (every engine online with nothing
   * unacknowledged, every hub outbox empty) before the engines closed; if
   * not, which clients' engines and hub outboxes were still waiting. Not a
   * loss (nothing there was acknowledged), but worth a look in the trace.
   */
  readonly settle: {
    readonly settled: boolean;
    readonly engines: readonly number[];
    readonly hubOutbox: readonly { readonly clientId: number; readonly messages: number }[];
  };
  /** What `checkInvariants` found in the final state (empty: all hold). */
  readonly invariants: readonly string[];
  /** Hub steps (records in the trace). */
  readonly steps: number;
  readonly stepsPerSecond: number;
  readonly trace: string;
  readonly timeline: string;
  readonly timelineBytes: number;
}

const NO_POLICY_COUNTS = (): Record<Policy, Counts> => ({ replaceOld: {}, ignoreNew: {}, seniority: {} });
const bump = (c: Counts, k: string, n = 1): void => void (c[k] = (c[k] ?? 0) + n);
const encoder = new TextEncoder();

/** The timer loop of the traffic: every online engine sends about 10 messages a second, the hub pushes about 8. */
const TICK_MS = 50;
const SEND_EVERY_MS = 100;
const PUSH_EVERY_MS = 125;

export async function runDemo(options: DemoOptions, ctx?: CommandContext): Promise<DemoResult> {
  const trace = join(options.out, 'trace.dhj');
  const timeline = join(options.out, 'timeline.html');
  try {
    await mkdir(options.out, { recursive: true });
    await rm(trace, { force: true });
  } catch (e) {
    throw asInputError(e, options.out);
  }

  const layout = demoLayout(options.clients);
  const ledger = new Ledger();
  const pulse = new Pulse();
  const credentials = new CredentialStore();
  const engines: DemoEngine[] = [];
  const started = performance.now();
  const stats = {
    registrations: 0,
    logins: {} as Counts,
    resumes: 0,
    drops: 0,
    takeovers: {} as Counts,
    takeoversByPolicy: NO_POLICY_COUNTS(),
    rejections: {} as Counts,
    rejectionsByPolicy: NO_POLICY_COUNTS(),
    offline: {} as Counts,
    stopped: {} as Counts,
  };
  const policyOfClient = (clientId: number): Policy => layout.profileOf.get(clientId)?.policy ?? 'replaceOld';

  // ---- the hub ---------------------------------------------------------------
  const recorder = new TraceRecorder(trace, { writer: 'dialoghub demo', extra: { demo: { clients: options.clients, seconds: options.seconds } } });
  const onStep = (record: JournalRecord, commands: readonly HubCommand[]): void => {
    recorder.onStep(record, commands);
    for (const c of commands) {
      if (c.type !== 'writeDialog') continue;
      for (const m of c.messages) if (m.body.type === 'app') ledger.hubWrote(c.clientId, m.seq, payloadText(m.body.payload));
    }
  };
  const onEvent = (e: HubEvent): void => {
    switch (e.type) {
      case 'clientRegistered':
        stats.registrations++;
        break;
      case 'clientOnline':
        bump(stats.logins, e.via);
        break;
      case 'clientOffline':
        bump(stats.offline, e.reason);
        break;
      case 'takeover': {
        const policy = layout.profiles[e.profileId - 1]?.policy ?? 'replaceOld';
        bump(stats.takeovers, e.reason);
        bump(stats.takeoversByPolicy[policy], e.reason);
        break;
      }
      case 'requestRejected':
        bump(stats.rejections, e.reason);
        bump(stats.rejectionsByPolicy[policyOfClient(e.clientId)], e.reason);
        break;
      default:
        break;
    }
    pulse.poke();
  };
  let handled = 0;
  const transport = new TcpTransport({ host: '127.0.0.1', port: 0 });
  const hub = await Hub.open({
    transport,
    store: new MemoryStore(),
    config: { policy: 'replaceOld', appMessageTypes: ['chat'] },
    onStep,
    setup: (h) => {
      recorder.begin(h);
      h.onAny(onEvent);
      h.handle('chat', async (d) => {
        const text = payloadText(d.payload);
        ledger.hubGot(d.clientId, text);
        // The application answers every third message: answers are hub→client messages like pushes.
        if (++handled % 3 === 0) await d.reply(encoder.encode(`r${text}`));
      });
    },
  });
  const address = transport.address();
  const closeAll = async (): Promise<void> => {
    for (const e of engines) e.dispose();
    await hub.close().catch(() => undefined);
    await recorder.close().catch(() => undefined);
  };
  try {
    await recorder.open();
  } catch (e) {
    await closeAll();
    throw asInputError(e, trace);
  }

  const timers: NodeJS.Timeout[] = [];
  let unsettled: DemoResult['settle'];
  try {
    for (const p of layout.profiles) {
      await hub.operate({ type: 'profileCreated', profileId: toProfileId(p.id), name: p.name, policy: p.policy });
    }

    // ---- the clients -------------------------------------------------------------
    const events = {
      changed: () => pulse.poke(),
      online: (_engine: DemoEngine, relogon: boolean) => {
        if (relogon) stats.resumes++;
      },
      stopped: (_engine: DemoEngine, reason: string) => bump(stats.stopped, reason),
    };
    const startEngine = (clientId: number, mode: 'login' | 'register'): DemoEngine => {
      const profile = layout.profileOf.get(clientId)!;
      const engine = new DemoEngine({ instance: engines.length + 1, clientId, profileId: profile.id, mode, host: address.host, port: address.port, credentials, ledger, events });
      engines.push(engine);
      engine.start();
      return engine;
    };
    const stepMs = Math.max(2_000, Math.min(10_000, options.seconds * 250));
    const stage: Stage = {
      pulse,
      start: startEngine,
      hubOnline: (id) => hub.state.online.has(id),
      alive: (id) => engines.filter((e) => e.clientId === id && e.status !== 'stopped'),
      busy: new Set<number>(),
      stepMs,
    };
    const casts: ProfileCast[] = layout.profiles.map((profile) => {
      const first = startEngine(profile.first, 'register');
      return { profile, active: first, first, second: null };
    });

    const bar = ctx === undefined ? null : fractionBar(ctx.io, 'demo');
    const runMs = options.seconds * 1000;
    const acts: Promise<void>[] = [];
    const at = (fraction: number, act: (stage: Stage, cast: ProfileCast) => Promise<void>): NodeJS.Timeout =>
      setTimeout(() => acts.push(Promise.all(casts.map((c) => act(stage, c))).then(() => undefined)), fraction * runMs);
    timers.push(at(ACTS.otherClient, otherClientArrives), at(ACTS.sameClient, sameClientTwice), at(ACTS.comeBack, firstComesBack));

    // ---- traffic and link cuts ----------------------------------------------------
    const dropEveryMs = Math.max(100, (runMs * 0.75) / Math.max(1, options.clients));
    let nextDrop = runMs * 0.1;
    let pushes = 0;
    const traffic: NodeJS.Timeout = setInterval(() => {
      const elapsed = performance.now() - started;
      bar?.update(elapsed / runMs);
      for (const e of engines) if (e.status === 'online' && Math.random() < TICK_MS / SEND_EVERY_MS) e.send();
      for (const clientId of hub.state.online.keys()) {
        if (Math.random() >= TICK_MS / PUSH_EVERY_MS) continue;
        const n = ++pushes;
        // Refused (the client went offline meanwhile) or closed: nothing was sent, nothing to count.
        hub.send(clientId as ClientId, 'chat', encoder.encode(`p${clientId}.${n}`)).catch(() => undefined);
      }
      if (elapsed >= nextDrop && elapsed < runMs * 0.9) {
        nextDrop += dropEveryMs;
        const candidates = engines.filter((e) => e.status === 'online' && !stage.busy.has(layout.profileOf.get(e.clientId)!.id));
        const victim = candidates[Math.floor(Math.random() * candidates.length)];
        if (victim !== undefined && victim.drop()) stats.drops++;
      }
    }, TICK_MS);
    timers.push(traffic);

    try {
      await new Promise<void>((resolve) => setTimeout(resolve, runMs));
    } finally {
      clearInterval(traffic);
      bar?.stop();
    }
    for (const t of timers) clearTimeout(t);
    await Promise.all(acts);

    // ---- settle, close, balance the books -------------------------------------------
    const quiet = (): boolean =>
      engines.every((e) => e.status === 'stopped' || (e.status === 'online' && e.unacknowledged === 0)) &&
      [...hub.state.online.keys()].every((id) => {
        const c = hub.state.clients.get(id);
        return c === undefined || (clientDialogOf(hub.state, c)?.outbox.length ?? 0) === 0;
      });
    const settled = await pulse.until(quiet, Math.max(3_000, Math.min(10_000, runMs)));
    // What did not settle: engines still resuming or waiting for acks, hub messages no engine acknowledged.
    unsettled = {
      settled,
      engines: engines.filter((e) => !(e.status === 'stopped' || (e.status === 'online' && e.unacknowledged === 0))).map((e) => e.clientId),
      hubOutbox: [...hub.state.online.keys()].flatMap((id) => {
        const c = hub.state.clients.get(id);
        const n = c === undefined ? 0 : (clientDialogOf(hub.state, c)?.outbox.length ?? 0);
        return n > 0 ? [{ clientId: id, messages: n }] : [];
      }),
    };
    for (const e of engines) e.stop();
    await pulse.until(() => hub.state.sessions.size === 0, 3_000);
  } catch (e) {
    for (const t of timers) clearTimeout(t);
    await closeAll();
    throw e;
  }
  await hub.close();
  for (const e of engines) e.dispose();
  await recorder.close().catch((e: unknown) => {
    throw asInputError(e, trace);
  });

  const final = hub.state;
  const outAckedOf = (clientId: number): number => {
    const c = final.clients.get(clientId);
    return c === undefined ? 0 : (clientDialogOf(final, c)?.outAcked ?? 0);
  };
  const messages = ledger.summary(outAckedOf);
  const invariants = checkInvariants(final);
  let rendered;
  try {
    rendered = await renderTimelineFileWithModel(trace, { title: `dialoghub demo: ${options.clients} clients, ${options.seconds} s`, subtitle: `${layoutLine(layout)} over TCP ${address.host}:${address.port}` });
    await writeFile(timeline, rendered.html);
  } catch (e) {
    throw asInputError(e, timeline);
  }
  const wallSeconds = (performance.now() - started) / 1000;
  return {
    clients: options.clients,
    seconds: options.seconds,
    wallSeconds,
    address,
    profiles: layout.profiles.length,
    policies: layout.perPolicy,
    engines: engines.length,
    registrations: stats.registrations,
    logins: stats.logins,
    resumes: stats.resumes,
    drops: stats.drops,
    takeovers: stats.takeovers,
    takeoversByPolicy: stats.takeoversByPolicy,
    rejections: stats.rejections,
    rejectionsByPolicy: stats.rejectionsByPolicy,
    offline: stats.offline,
    stopped: stats.stopped,
    messages,
    delivered: messages.delivered,
    lost: messages.lost,
    duplicates: messages.duplicates,
    settle: unsettled,
    invariants,
    steps: recorder.records,
    stepsPerSecond: Math.round(recorder.records / wallSeconds),
    trace,
    timeline,
    timelineBytes: Buffer.byteLength(rendered.html),
  };
}

function layoutLine(layout: DemoLayout): string {
  const p = layout.perPolicy;
  return `${p.replaceOld} replaceOld, ${p.ignoreNew} ignoreNew, ${p.seniority} seniority clients in ${layout.profiles.length} profiles`;
}
