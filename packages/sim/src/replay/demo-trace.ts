/**
 * Theory of operation: a small scripted trace that shows every kind of thing
 * the replay and the viewer deal with, recorded by stepping the real core
 * (`recordTrace`), so it needs no simulator: two profiles and four clients,
 * an `otherClient` takeover (`replaced`), a `sameClient` one (`pushedOut`),
 * a gap (messages dropped), a client resend (duplicates dropped), a lost
 * connection, a hub→client resend after a re-login, a hub restart (every
 * session closed with cause `hubRestarted`), an operator ban, a rejected
 * request and heartbeat timeouts. Tests, examples and docs use it.
 */
import { initialState, type ClientId, type DialogMessage, type HubConfig, type HubInput, type LinkId, type ProfileId, type TraceRecord } from '@dialoghub/core';
import { recordTrace } from './record-trace.js';

/** 2026-01-01T00:00:00.000Z: the demo hub's creation time. */
export const DEMO_EPOCH = 1_767_225_600_000;

export const DEMO_CONFIG: HubConfig = { policy: 'replaceOld', appMessageTypes: ['chat'], syncAfterMs: 10_000, syncEveryMs: 5_000, deadAfterMs: 30_000 };

export interface DemoTrace {
  readonly records: TraceRecord[];
  readonly config: HubConfig;
  readonly hubCreatedAt: number;
  /** Seqs after which the hub restarted (as a simulator trace header's `restarts`). */
  readonly restarts: number[];
  /** The client ids of the trace, ascending. */
  readonly clients: number[];
}

const link = (n: number): LinkId => n as LinkId;
const cid = (n: number): ClientId => n as ClientId;
const pid = (n: number): ProfileId => n as ProfileId;
const contact = { name: 'demo', phone: '', email: '' };
const secret = (id: number): string => `demo-secret-${id}`;
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

function register(l: number, clientId: number, profileId: number): HubInput {
  return {
    type: 'requestReceived',
    link: link(l),
    request: { kind: 'register', requestId: 1, clientId: cid(clientId), profileId: pid(profileId), contact, environment: {} },
    issued: { secret: secret(clientId) },
  };
}

function login(l: number, clientId: number, lastReceived: number, requestId = 2): HubInput {
  return { type: 'requestReceived', link: link(l), request: { kind: 'login', requestId, clientId: cid(clientId), credential: { secret: secret(clientId) }, environment: null, lastReceived } };
}

const app = (seq: number, ack: number, text: string): DialogMessage => ({ seq, ack, body: { type: 'app', appType: 'chat', payload: bytes(text), replyTo: 0 } });
const keepAlive = (seq: number, ack: number): DialogMessage => ({ seq, ack, body: { type: 'null', replyTo: 0 } });
const messages = (l: number, ...m: DialogMessage[]): HubInput => ({ type: 'messagesReceived', link: link(l), messages: m });
const closed = (l: number, cause: string): HubInput => ({ type: 'connectionClosed', link: link(l), cause });

/** The demo trace (see the module comment): about 40 records over two virtual minutes. */
export function demoTrace(): DemoTrace {
  const s = 1_000;
  const script: { now: number; input: HubInput }[] = [];
  let t = DEMO_EPOCH;
  const at = (dt: number, input: HubInput): void => {
    t += dt;
    script.push({ now: t, input });
  };
  at(0, { type: 'profileCreated', actionId: 'op-1', profileId: pid(1), name: 'alpha' });
  at(0, { type: 'profileCreated', actionId: 'op-2', profileId: pid(2), name: 'beta' });
  // Client 101 registers in alpha; 102 registers in the same profile and replaces it (replaceOld).
  at(1 * s, register(1, 101, 1));
  at(2 * s, messages(1, keepAlive(1, 0)));
  at(2 * s, register(2, 102, 1));
  // Client 201 in beta; the application pushes two messages to it.
  at(1 * s, register(3, 201, 2));
  at(1 * s, { type: 'appMessageSent', actionId: 'app-1', to: { clientId: cid(201) }, appType: 'chat', payload: bytes('hello'), replyTo: 0 });
  at(0, { type: 'appMessageSent', actionId: 'app-2', to: { clientId: cid(201) }, appType: 'chat', payload: bytes('world'), replyTo: 0 });
  // 201's messages 1 and 3 arrive, 2 was lost: 3 is dropped after the gap; the client resends 1 (a duplicate), 2 and 3.
  at(2 * s, messages(3, app(1, 0, 'a'), app(3, 0, 'c')));
  at(1 * s, messages(3, app(1, 1, 'a'), app(2, 1, 'b'), app(3, 1, 'c')));
  at(0, { type: 'appMessageHandled', clientId: cid(201), seq: 1 });
  at(0, { type: 'appMessageHandled', clientId: cid(201), seq: 2 });
  at(0, { type: 'appMessageHandled', clientId: cid(201), seq: 3 });
  // The transport loses 201's link; it logs in again having received only message 1: the hub resends 2.
  at(2 * s, closed(3, 'reset by peer'));
  at(3 * s, login(4, 201, 1));
  at(1 * s, messages(4, { seq: 0, ack: 2, body: { type: 'ack' } }));
  // Client 202 registers in beta too and replaces 201.
  at(2 * s, register(5, 202, 2));
  // The hub crashes and restarts: every recovered session is closed.
  at(5 * s, closed(2, 'hubRestarted'));
  at(0, closed(5, 'hubRestarted'));
  // After the restart: 102 logs in, then again on a new link (sameClient: pushedOut).
  at(2 * s, login(6, 102, 0, 3));
  at(2 * s, login(7, 102, 0, 4));
  // 101 comes back (disabled: login resumes it) and replaces 102.
  at(2 * s, login(8, 101, 0, 5));
  // The operator bans 202; 202 then tries to log in and is rejected.
  at(2 * s, { type: 'statusSet', actionId: 'op-3', clientId: cid(202), status: 'banned' });
  at(1 * s, login(9, 202, 0, 6));
  at(1 * s, closed(9, 'closed after reject'));
  // 101 keeps talking a little, then everyone falls silent: Syncs, then heartbeat timeouts.
  at(2 * s, messages(8, keepAlive(2, 0)));
  for (let i = 0; i < 8; i++) at(5 * s, { type: 'timerFired' });
  const restartAfter = script.findIndex((e) => e.input.type === 'connectionClosed' && e.input.cause === 'hubRestarted');
  const { records } = recordTrace(script, { initial: initialState(DEMO_CONFIG, DEMO_EPOCH) });
  return { records, config: DEMO_CONFIG, hubCreatedAt: DEMO_EPOCH, restarts: [restartAfter], clients: [101, 102, 201, 202] };
}
