/**
 * Local misuse is an exception; what the hub or the network does is data
 * (events, a stop reason). A `ClientUsageError` means the embedding code broke
 * the contract: an invalid option, a machine run without its implementations,
 * a `resume()` while the engine is running (`notStopped`).
 */
import type { StopReason } from './outcomes.js';

export type ClientUsageErrorCode = 'invalidOption' | 'notProvided' | 'invalidCredentials' | 'notStopped';

export class ClientUsageError extends Error {
  override readonly name = 'ClientUsageError';
  constructor(
    readonly code: ClientUsageErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The engine stopped for good (a terminal reason, or `close()`): what the
 * facade rejects `connect()` and pending `send()` promises with.
 */
export class ClientStoppedError extends Error {
  override readonly name = 'ClientStoppedError';
  constructor(readonly reason: StopReason) {
    super(`the client engine stopped: ${reason}`);
  }
}

/** Why `send` refused a message before it was queued (see docs/client.md, "Outgoing messages"). */
export type SendRefusal = 'bufferFull' | 'invalidMessage' | 'stopped';

/** The engine refused to queue a message: the facade rejects `send()` with it. */
export class SendRefusedError extends Error {
  override readonly name = 'SendRefusedError';
  constructor(readonly reason: SendRefusal) {
    super(`the message was not queued: ${reason}`);
  }
}
