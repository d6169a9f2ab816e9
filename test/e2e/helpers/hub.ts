/**
 * A real `Hub` on a real `TcpTransport` (loopback, ephemeral port) for the
 * end-to-end tests, with everything it does recorded in `WatchList`s: hub
 * events, stepped inputs with their commands, application deliveries, the
 * core's logs and the adapter's logs.
 *
 * The hub runs on a `ManualClock`, so its liveness deadlines (Sync,
 * `heartbeatTimeout`) fire only when a test moves it (`advanceHub`); the
 * adapter's own deadlines (first frame, idle, linger) run on the real clock
 * with whatever small values a test gives.
 */
import { WatchList } from '@dialoghub/adapter-tests';
import { TcpTransport, type TcpLogEntry, type TcpTransportOptions } from '@dialoghub/adapter-tcp';
import { clientId, profileId, type ClientStatus, type HubCommand, type HubConfig, type HubEvent, type Policy } from '@dialoghub/core';
import { Hub, ManualClock, type HubStore, type JournalRecord, type LogCommand } from '@dialoghub/runtime';
import { expect } from 'vitest';
import { onCleanup, text, utf8, within } from './wait.js';

/** An application message as the hub's handler received it. */
export interface Received {
  readonly clientId: number;
  readonly seq: number;
  readonly text: string;
}

export interface HubFixture {
  readonly hub: Hub;
  readonly transport: TcpTransport;
  readonly port: number;
  readonly clock: ManualClock;
  readonly events: WatchList<HubEvent>;
  readonly steps: WatchList<{ readonly record: JournalRecord; readonly commands: readonly HubCommand[] }>;
  readonly deliveries: WatchList<Received>;
  readonly logs: WatchList<LogCommand>;
  readonly tcpLogs: WatchList<TcpLogEntry>;
  /** Sends `body` to a client as a `chat` message; resolves with the core's outcome. */
  send(to: number, body: string): Promise<void>;
  /** Client statuses by id (absent: not registered). */
  status(id: number): ClientStatus | undefined;
  /** Ids of the clients online now, ascending. */
  online(): number[];
  /** Requests the hub stepped from client `id`, by kind. */
  requestsFrom(id: number): string[];
  close(): Promise<void>;
}

export interface HubFixtureOptions {
  readonly policy?: Policy;
  readonly config?: HubConfig;
  readonly store?: HubStore;
  readonly tcp?: TcpTransportOptions;
  /** Create profile 1 (default true). */
  readonly profile?: boolean;
}

export const CHAT = 'chat';

export async function startHub(options: HubFixtureOptions = {}): Promise<HubFixture> {
  const clock = new ManualClock(1_700_000_000_000);
  const events = new WatchList<HubEvent>();
  const steps = new WatchList<{ record: JournalRecord; commands: readonly HubCommand[] }>();
  const deliveries = new WatchList<Received>();
  const logs = new WatchList<LogCommand>();
  const tcpLogs = new WatchList<TcpLogEntry>();
  const transport = new TcpTransport({ stopTimeoutMs: 2_000, lingerMs: 500, log: (e) => tcpLogs.push(e), ...options.tcp });
  const config: HubConfig = { appMessageTypes: [CHAT], ...(options.policy === undefined ? {} : { policy: options.policy }), ...options.config };
  const hub = await Hub.open({
    transport,
    clock,
    config,
    ...(options.store === undefined ? {} : { store: options.store }),
    log: (entry) => logs.push(entry),
    onStep: (record, commands) => steps.push({ record, commands }),
    setup: (h) => {
      h.onAny((e) => events.push(e));
      h.handle(CHAT, (d) => {
        deliveries.push({ clientId: d.clientId as number, seq: d.seq, text: text(d.payload) });
      });
    },
  });
  let closed: Promise<void> | null = null;
  const close = () => (closed ??= hub.close());
  onCleanup(close);
  if (options.profile !== false) {
    expect(await hub.operate({ type: 'profileCreated', profileId: profileId(1), name: 'one' })).toMatchObject({ ok: true });
  }
  return {
    hub,
    transport,
    port: transport.address().port,
    clock,
    events,
    steps,
    deliveries,
    logs,
    tcpLogs,
    async send(to, body) {
      const outcome = await hub.send(clientId(to), CHAT, utf8.encode(body));
      expect(outcome, `hub.send to ${to}`).toMatchObject({ ok: true });
    },
    status: (id) => hub.state.clients.get(id)?.status,
    online: () => [...hub.state.online.keys()].sort((a, b) => a - b),
    requestsFrom: (id) =>
      steps.items.flatMap(({ record }) => (record.input.type === 'requestReceived' && (record.input.request.clientId as number) === id ? [record.input.request.kind] : [])),
    close,
  };
}

/** Waits for a hub event of `type` matching `match`, among the events from index `from` on (default: all). */
export function hubEvent<T extends HubEvent['type']>(
  h: HubFixture,
  type: T,
  match: (e: Extract<HubEvent, { type: T }>) => boolean = () => true,
  from = 0,
): Promise<Extract<HubEvent, { type: T }>> {
  type E = Extract<HubEvent, { type: T }>;
  const found = h.events.until((items) => items.slice(from).find((e): e is E => e.type === type && match(e as E)));
  return within(found, `hub event ${type}`);
}
