/**
 * @packageDocumentation
 * `@dialoghub/client`: the dialoghub client engine — an xstate v5 machine that
 * connects, logs in, resumes its dialog after a loss and backs off by itself,
 * and stops for good on every terminal reason (no push-out ping-pong).
 *
 * ```ts
 * import { connect, memoryCredentials } from '@dialoghub/client';
 *
 * const creds = memoryCredentials({ register: { profileId: 1, contact } });
 * const client = await connect({ transport, ...creds });   // transport: { connect(): Promise<ClientLink> }
 * client.on('message', (m) => { ... });
 * await client.send('chat', bytes);                       // resolves when the hub acknowledged it
 * await client.close();
 * ```
 *
 * Or drive the machine itself: `clientMachine` (pure: test it with xstate's
 * `transition()`), `bindTransport(bindings)` (the implementations), then
 * `createActor(machine, { input, clock })`. See docs/client.md.
 */
export { clientMachine, type ClientMachine } from './machine.js';
export { bindTransport, type EngineBindings } from './bind-transport.js';
export { connect, createClientActor, type ClientActor, type ClientOptions, type DialogClient, type TimerClock } from './facade.js';
export type { ClientContext, ClientEvent, ClientEmitted, ClientEmittedType, ClientInput, LinkCommand, Phase } from './types.js';
export { DEFAULT_SETTINGS, resolveSettings, type ClientSettings } from './settings.js';
export { backoffBound, backoffDelay } from './backoff.js';
export { REFUSAL_OUTCOME, answerOutcome, closeIsTerminal, type AnswerOutcome, type RefusalOutcome, type StopReason } from './outcomes.js';
export {
  drawClientId,
  memoryCredentials,
  normalizeCredentials,
  type AttemptCredentials,
  type Credentials,
  type IssuedCredentials,
  type Registration,
} from './credentials.js';
export {
  EMPTY_CLIENT_DIALOG,
  adoptLogin,
  adoptSync,
  appMessageProblem,
  applyAck,
  bareAck,
  dialogFrames,
  enqueue,
  lastReceivedOf,
  rebase,
  receive,
  sequenceOnce,
  type ClientDialog,
  type Delivery,
  type Outgoing,
  type Received,
  type SeqConflict,
} from './dialog.js';
export type { ClientFrame, ClientLink, ClientTransport, HubFrame } from './link.js';
export { fromMemoryLink, memoryTransport, type MemoryLinkLike } from './memory-link.js';
export { ClientStoppedError, ClientUsageError, SendRefusedError, type ClientUsageErrorCode, type SendRefusal } from './errors.js';
