/**
 * Theory of operation: the hub inputs the simulated shell and clients send,
 * shaped as a decoder would produce them from the wire: fresh objects and
 * fresh strings per input (nothing shared that a real decoder would not
 * share), raw secrets in credentials (the live path, which hashes them), and
 * payloads of realistic sizes.
 */
import { clientId, linkId, profileId, type HubConfig, type HubInput } from './api.js';

/** Virtual time starts at a fixed, realistic wall-clock time (Date.now()-sized numbers). */
export const EPOCH = Date.UTC(2026, 0, 1);

/** Connection-transport timings (the defaults) and the replaceOld policy, as the issue asks. */
export const HUB_CONFIG: HubConfig = { policy: 'replaceOld', appMessageTypes: ['chat', 'notice'] };

export const TIMER_FIRED: HubInput = Object.freeze({ type: 'timerFired' });

/** Application payloads, 16 to 496 bytes: shared buffers, since the core never copies or reads them. */
const PAYLOADS: readonly Uint8Array[] = Array.from({ length: 64 }, (_, i) => new Uint8Array(16 + ((i * 37) % 31) * 16).fill(i));

export function payload(n: number): Uint8Array {
  return PAYLOADS[n & 63]!;
}

/** The secret the shell issued to client `c` (deterministic, so logins can be generated later). */
export function secretOf(c: number): string {
  return `dh1-${c.toString(16).padStart(8, '0')}-7f3a9c2e5b1d40868e2a`;
}

export function profileCreated(p: number): HubInput {
  return { type: 'profileCreated', actionId: `create-${p}`, profileId: profileId(p), name: `Site ${p}` };
}

function environmentOf(c: number): Readonly<Record<string, string>> {
  return { host: `pc-${c}`, os: `Windows ${10 + (c % 2)}`, version: `4.${c % 7}.1` };
}

export function register(link: number, c: number, p: number, requestId: number): HubInput {
  return {
    type: 'requestReceived',
    link: linkId(link),
    request: {
      kind: 'register',
      requestId,
      clientId: clientId(c),
      profileId: profileId(p),
      contact: { name: `Client ${c}`, phone: `+1-555-${String(c % 10_000_000).padStart(7, '0')}`, email: `client${c}@example.com` },
      environment: environmentOf(c),
    },
    issued: { secret: secretOf(c) },
  };
}

/** A connection-transport login (environment unchanged: null), or a `start` that repeats the environment. */
export function login(link: number, c: number, requestId: number, lastReceived: number, asStart: boolean): HubInput {
  const credential = { secret: secretOf(c) };
  return {
    type: 'requestReceived',
    link: linkId(link),
    request: asStart
      ? { kind: 'start', requestId, clientId: clientId(c), credential, environment: environmentOf(c), lastReceived }
      : { kind: 'login', requestId, clientId: clientId(c), credential, environment: null, lastReceived },
  };
}

export function connectionClosed(link: number): HubInput {
  return { type: 'connectionClosed', link: linkId(link), cause: 'ECONNRESET' };
}

export function appMessage(link: number, seq: number, ack: number, n: number): HubInput {
  return {
    type: 'messagesReceived',
    link: linkId(link),
    messages: [{ seq, ack, body: { type: 'app', appType: 'chat', payload: payload(n), replyTo: 0 } }],
  };
}

export function nullMessage(link: number, seq: number, ack: number, replyTo: number): HubInput {
  return { type: 'messagesReceived', link: linkId(link), messages: [{ seq, ack, body: { type: 'null', replyTo } }] };
}

export function bareAck(link: number, ack: number): HubInput {
  return { type: 'messagesReceived', link: linkId(link), messages: [{ seq: 0, ack, body: { type: 'ack' } }] };
}

export function push(n: number, to: { clientId: number } | { profileId: number }): HubInput {
  return {
    type: 'appMessageSent',
    actionId: `push-${n}`,
    to: 'clientId' in to ? { clientId: clientId(to.clientId) } : { profileId: profileId(to.profileId) },
    appType: 'notice',
    payload: payload(n),
    replyTo: 0,
  };
}
