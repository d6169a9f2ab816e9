/**
 * Theory of operation: commands are intents (docs/protocol.md §3). They say
 * what the protocol needs, never how a transport does it. The shell runs them
 * in the order given. A command the hub must hear the outcome of carries a
 * `commandId`; the shell reports a failure back as `commandFailed`.
 *
 * `commit` comes first exactly when the step changed the hub's state:
 * everything after it may reveal that change (an `ok`, an ack, a push-out), so
 * the shell must make the input durable before running the rest (write-ahead,
 * group commit). A step that changed nothing has no `commit`.
 */
import type { ClientId, CommandId, LinkId, ProfileId } from './ids.js';
import type { ActionId } from './inputs.js';
import type { DialogMessage } from './messages.js';
import type { ClientStatus, ManagementMode, Policy } from './model.js';
import type { Answer, CloseReason, RejectReason, RequestKind } from './requests.js';

export type HubEvent =
  | { readonly type: 'clientRegistered'; readonly clientId: ClientId; readonly profileId: ProfileId }
  | { readonly type: 'clientOnline'; readonly clientId: ClientId; readonly link: LinkId; readonly via: RequestKind }
  | {
      readonly type: 'clientOffline';
      readonly clientId: ClientId;
      readonly link: LinkId;
      /** A close reason, or `connectionLost` when the transport lost the link. */
      readonly reason: CloseReason | 'connectionLost';
    }
  | {
      readonly type: 'takeover';
      readonly profileId: ProfileId;
      readonly conflict: 'sameClient' | 'otherClient';
      /** The client that won (for `sameClient`, the same id on its new link). */
      readonly winner: ClientId;
      readonly loser: ClientId;
      readonly reason: CloseReason;
    }
  | {
      readonly type: 'statusChanged';
      readonly clientId: ClientId;
      readonly from: ClientStatus;
      readonly to: ClientStatus;
      readonly cause: 'request' | 'operator';
    }
  | {
      readonly type: 'profileChanged';
      readonly profileId: ProfileId;
      readonly change: 'created' | 'renamed' | 'removed' | 'mode' | 'policy';
      readonly mode: ManagementMode;
      readonly policy: Policy | null;
    }
  | { readonly type: 'requestRejected'; readonly clientId: ClientId; readonly request: RequestKind; readonly reason: RejectReason | 'invalidId' | 'invalidProfile' | 'reset' }
  | { readonly type: 'clientDeleted'; readonly clientId: ClientId };

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogDetail = Readonly<Record<string, string | number | boolean | null>>;

export type HubCommand =
  | { readonly type: 'commit' }
  /** Answer a connection-channel request on the link it came from. */
  | { readonly type: 'reply'; readonly commandId: CommandId; readonly link: LinkId; readonly requestId: number; readonly answer: Answer }
  /** Append these messages to the client's dialog (a frame on TCP, a file on FTP). */
  | {
      readonly type: 'writeDialog';
      readonly commandId: CommandId;
      readonly link: LinkId;
      readonly clientId: ClientId;
      readonly messages: readonly DialogMessage[];
    }
  /** Tell the peer why, then end the link. */
  | {
      readonly type: 'close';
      readonly commandId: CommandId;
      readonly link: LinkId;
      readonly clientId: ClientId | null;
      readonly reason: CloseReason;
      readonly reconnect: boolean;
    }
  /** Hand an application message to the embedding application: exactly once, in order. */
  | {
      readonly type: 'deliver';
      readonly clientId: ClientId;
      readonly seq: number;
      readonly appType: string;
      readonly payload: Uint8Array;
      readonly replyTo: number;
    }
  /** Tell the embedding application something happened. */
  | { readonly type: 'notify'; readonly event: HubEvent }
  /** The outcome of an operator or application action. */
  | {
      readonly type: 'actionResult';
      readonly actionId: ActionId;
      readonly ok: boolean;
      /** Machine-readable refusal reason when `ok` is false. */
      readonly reason: string | null;
      readonly message: string;
    }
  | {
      readonly type: 'log';
      readonly level: LogLevel;
      readonly event: string;
      readonly clientId: ClientId | null;
      readonly detail: LogDetail;
    };

export type CommandType = HubCommand['type'];
