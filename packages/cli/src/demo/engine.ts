/**
 * Theory of operation: one client installation of the demo — the client
 * engine (`@dialoghub/client`, an xstate actor) over a real TCP link
 * (`connectTcp`). The engine decides everything (log in, resume, back off,
 * stop on a terminal reason); this wrapper only keeps the books (what was
 * sent, acknowledged, received), remembers the current link so the demo can
 * cut it (`drop`: a reset, so the engine's resume runs), and keeps the
 * credentials a registration issued where the next engine of the same
 * client finds them (`CredentialStore`).
 *
 * Listeners are attached before the engine starts, so no event — above all
 * no message resent right after a login's `ok` — happens unseen.
 */
import { connectTcp, type TcpClientLink } from '@dialoghub/adapter-tcp';
import { createClientActor, type ClientActor, type ClientSettings, type Credentials } from '@dialoghub/client';
import type { Ledger } from './ledger.js';
import { payloadText } from './ledger.js';

/** Credentials by client id: what each installation would keep on its disk. */
export class CredentialStore {
  private readonly stored = new Map<number, { readonly clientId: number; readonly secret: string }>();

  get(clientId: number): { readonly clientId: number; readonly secret: string } | undefined {
    return this.stored.get(clientId);
  }

  set(clientId: number, secret: string): void {
    this.stored.set(clientId, { clientId, secret });
  }
}

/** Engine settings for a short demo: quick retries, the default heartbeat. */
export const DEMO_ENGINE_SETTINGS: Partial<ClientSettings> = Object.freeze({
  backoffBaseMs: 100,
  backoffCapMs: 1_000,
  connectTimeoutMs: 5_000,
  loginTimeoutMs: 5_000,
});

export interface EngineEvents {
  /** Something changed (for `Pulse.poke`). */
  changed(): void;
  online(engine: DemoEngine, relogon: boolean): void;
  stopped(engine: DemoEngine, reason: string): void;
}

export interface EngineSpec {
  /** Instance number (one client id may have several engines over a run). */
  readonly instance: number;
  readonly clientId: number;
  readonly profileId: number;
  /** `login` with the stored credentials, or `register` into the profile. */
  readonly mode: 'login' | 'register';
  readonly host: string;
  readonly port: number;
  readonly credentials: CredentialStore;
  readonly ledger: Ledger;
  readonly events: EngineEvents;
}

const encoder = new TextEncoder();

export class DemoEngine {
  status: 'offline' | 'online' | 'stopped' = 'offline';
  stopReason: string | null = null;
  /** Messages handed to the application. */
  received = 0;
  private link: TcpClientLink | null = null;
  private readonly actor: ClientActor;
  private readonly pending = new Map<number, string>();
  private nextRef = 1;
  private sent = 0;

  constructor(readonly spec: EngineSpec) {
    const { clientId, profileId, credentials, ledger, events } = spec;
    const initial: Credentials =
      spec.mode === 'login' && credentials.get(clientId) !== undefined
        ? credentials.get(clientId)!
        : { register: { profileId, clientId, contact: { name: `demo client ${clientId}`, phone: '', email: '' } } };
    this.actor = createClientActor({
      ...DEMO_ENGINE_SETTINGS,
      transport: {
        connect: async () => {
          const link = await connectTcp({ host: spec.host, port: spec.port, connectTimeoutMs: 5_000 });
          this.link = link;
          return link;
        },
      },
      // Registration first; the stored secret once one was issued.
      getCredentials: () => Promise.resolve(credentials.get(clientId) ?? initial),
      onRegistered: (issued) => credentials.set(issued.clientId, issued.secret),
      // Backoff delays in the upper half of their range: a reset link reaches the hub
      // before the engine's re-login does, so the hub never sees the client online twice.
      random: () => 0.5 + Math.random() / 2,
    });
    this.actor.on('online', (e) => {
      this.status = 'online';
      events.online(this, e.relogon);
      events.changed();
    });
    this.actor.on('offline', () => {
      this.status = 'offline';
      this.link = null;
      events.changed();
    });
    this.actor.on('stopped', (e) => {
      this.status = 'stopped';
      this.stopReason = e.reason;
      this.link = null;
      this.pending.clear();
      events.stopped(this, e.reason);
      events.changed();
    });
    this.actor.on('message', (m) => {
      this.received++;
      ledger.clientGot(spec.instance, clientId, m.seq, payloadText(m.payload));
    });
    this.actor.on('acknowledged', (e) => {
      for (const ref of e.refs) {
        const key = this.pending.get(ref);
        if (key === undefined) continue;
        this.pending.delete(ref);
        ledger.clientAcked(key);
      }
      events.changed();
    });
    this.actor.on('sendRefused', (e) => {
      const key = this.pending.get(e.ref);
      if (key === undefined) return;
      this.pending.delete(e.ref);
      ledger.clientRefused(key);
    });
  }

  get clientId(): number {
    return this.spec.clientId;
  }

  /** Sends not acknowledged yet. */
  get unacknowledged(): number {
    return this.pending.size;
  }

  start(): void {
    this.actor.start();
    this.actor.send({ type: 'start' });
  }

  /** Queues one chat message (`c<client>.<engine>.<n>`); sent at once while online, on the next login otherwise. */
  send(): void {
    if (this.status === 'stopped') return;
    const key = `c${this.clientId}.${this.spec.instance}.${++this.sent}`;
    const ref = this.nextRef++;
    this.pending.set(ref, key);
    this.spec.ledger.clientSent(key);
    this.actor.send({ type: 'send', appType: 'chat', payload: encoder.encode(key), replyTo: 0, ref });
  }

  /** Resets the TCP connection under an online engine (a transport loss: the engine resumes). */
  drop(): boolean {
    if (this.status !== 'online' || this.link === null) return false;
    this.link.destroy();
    return true;
  }

  /** Stops for good: a `close` goes to the hub if online. */
  stop(): void {
    if (this.status !== 'stopped') this.actor.send({ type: 'stop' });
  }

  /** Ends the actor (timers, link). */
  dispose(): void {
    this.actor.stop();
    this.link?.close();
  }
}
