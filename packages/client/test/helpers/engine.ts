/**
 * Runs one engine (the real `createClientActor`) against a transport in
 * virtual time and records what it emits.
 */
import { createClientActor, memoryCredentials, type ClientEmitted, type ClientSettings, type ClientTransport, type Credentials } from '../../src/index.js';
import type { SteppingClock } from './clock.js';
import { bytes, text } from './fake-hub.js';

export interface EngineOptions {
  readonly settings?: Partial<ClientSettings>;
  readonly random?: () => number;
  /** Replaces the credential store's answer (e.g. to make it fail). */
  readonly getCredentials?: () => Promise<Credentials>;
}

export function startEngine(clock: SteppingClock, transport: ClientTransport, credentials: Credentials, options: EngineOptions = {}) {
  const store = memoryCredentials(credentials);
  const events: ClientEmitted[] = [];
  let credentialCalls = 0;
  let connects = 0;
  const counted: ClientTransport = {
    connect: () => {
      connects += 1;
      return transport.connect();
    },
  };
  const actor = createClientActor({
    transport: counted,
    getCredentials: () => {
      credentialCalls += 1;
      return (options.getCredentials ?? store.getCredentials)();
    },
    onRegistered: store.onRegistered,
    random: options.random ?? (() => 0.5),
    clock,
    ...options.settings,
  });
  actor.on('*', (e) => events.push(e));
  actor.start();
  actor.send({ type: 'start' });
  let ref = 0;
  return {
    actor,
    events,
    store,
    get credentialCalls() {
      return credentialCalls;
    },
    get connects() {
      return connects;
    },
    snapshot: () => actor.getSnapshot(),
    isOnline: () => actor.getSnapshot().matches({ attached: 'online' }),
    isStopped: () => actor.getSnapshot().matches('stopped'),
    stopReason: () => actor.getSnapshot().context.stopReason,
    send: (appType: string, body: string) => {
      ref += 1;
      actor.send({ type: 'send', appType, payload: bytes(body), ref });
      return ref;
    },
    /** The application messages received, as text, in order. */
    messages: () => events.flatMap((e) => (e.type === 'message' ? [text(e.payload)] : [])),
    of: <K extends ClientEmitted['type']>(type: K) => events.filter((e): e is Extract<ClientEmitted, { type: K }> => e.type === type),
  };
}

export type Engine = ReturnType<typeof startEngine>;
