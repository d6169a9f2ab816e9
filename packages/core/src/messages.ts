/**
 * Theory of operation: dialog messages (docs/protocol.md §6).
 *
 * Every message carries its own sequence number in the sender's space and the
 * highest sequence number the sender has received from the other side (a
 * piggybacked acknowledgement). A bare acknowledgement has `seq = 0` and body
 * `ack`; it is not sequenced and never acknowledged itself.
 *
 * Direction matters: `sync`, `ok`, `refused` go hub→client; `null`, `setInfo`,
 * `log`, `close` go client→hub; `app` and `ack` go both ways.
 */
import type { Contact } from './model.js';

export type MessageBody =
  /** Hub→client: "are you there?" (the seed's governor Sync). */
  | { readonly type: 'sync' }
  /** Client→hub: keep-alive; `replyTo` is the Sync's seq or 0. */
  | { readonly type: 'null'; readonly replyTo: number }
  /** Client→hub: update the contact fields. The ids, if present, must match the sender (B3). */
  | { readonly type: 'setInfo'; readonly contact: Contact; readonly clientId?: number; readonly profileId?: number }
  /** Hub→client: the request `replyTo` was applied. */
  | { readonly type: 'ok'; readonly replyTo: number }
  /** Hub→client: the request `replyTo` was refused, and why. */
  | { readonly type: 'refused'; readonly replyTo: number; readonly reason: string }
  /** Client→hub: an entry for the client's log, with the client's own clock. */
  | { readonly type: 'log'; readonly at: number; readonly isError: boolean; readonly text: string }
  /** Client→hub: the client is going away; its session ends, its status stays. */
  | { readonly type: 'close' }
  /** Both ways: an application-defined message with an opaque payload. */
  | { readonly type: 'app'; readonly appType: string; readonly payload: Uint8Array; readonly replyTo: number }
  /** Both ways, with seq 0: only an acknowledgement. */
  | { readonly type: 'ack' };

export type MessageType = MessageBody['type'];

export interface DialogMessage {
  /** Sequence number in the sender's space (≥ 1), or 0 for a bare `ack`. */
  readonly seq: number;
  /** Highest sequence number the sender has received from the other side. */
  readonly ack: number;
  readonly body: MessageBody;
}

/** Message types a client may send. */
export const CLIENT_MESSAGE_TYPES: ReadonlySet<MessageType> = new Set<MessageType>(['null', 'setInfo', 'log', 'close', 'app', 'ack']);
