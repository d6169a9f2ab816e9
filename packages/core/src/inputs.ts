/**
 * Theory of operation: inputs are facts, named in the past tense (docs/protocol.md §3).
 * Transport facts come from adapters, operator facts from an operator console
 * or the embedding application, and `timerFired` from the shell's one timer.
 * Randomness the protocol needs (a new client's secret) arrives inside an input.
 */
import type { ClientId, CommandId, LinkId, ProfileId } from './ids.js';
import type { DialogMessage } from './messages.js';
import type { ClientStatus, ManagementMode, Policy } from './model.js';
import type { Credential, Request } from './requests.js';

/** Correlates an operator or application action with its `actionResult` command. */
export type ActionId = string;

export type TransportInput =
  /**
   * A connection-channel request arrived on `link`. `issued` is the secret the
   * shell drew for a registration. `denied` is set when the application's
   * authentication hook refused the requester (the core answers `denied`).
   */
  | { readonly type: 'requestReceived'; readonly link: LinkId; readonly request: Request; readonly issued?: Credential; readonly denied?: boolean }
  /** Dialog messages arrived on `link` (in the order the transport received them). */
  | { readonly type: 'messagesReceived'; readonly link: LinkId; readonly messages: readonly DialogMessage[] }
  /** The transport lost or closed `link` (not a decision of the hub). */
  | { readonly type: 'connectionClosed'; readonly link: LinkId; readonly cause: string }
  /** A command the core emitted could not be carried out. */
  | {
      readonly type: 'commandFailed';
      readonly commandId: CommandId;
      readonly command: 'reply' | 'writeDialog' | 'close';
      readonly link: LinkId;
      readonly reason: string;
    };

export type OperatorInput =
  | {
      readonly type: 'profileCreated';
      readonly actionId: ActionId;
      readonly profileId: ProfileId;
      readonly name: string;
      readonly mode?: ManagementMode;
      readonly policy?: Policy | null;
    }
  | { readonly type: 'profileRenamed'; readonly actionId: ActionId; readonly profileId: ProfileId; readonly name: string }
  | { readonly type: 'profileRemoved'; readonly actionId: ActionId; readonly profileId: ProfileId }
  | { readonly type: 'profileModeSet'; readonly actionId: ActionId; readonly profileId: ProfileId; readonly mode: ManagementMode }
  | { readonly type: 'profilePolicySet'; readonly actionId: ActionId; readonly profileId: ProfileId; readonly policy: Policy | null }
  | { readonly type: 'statusSet'; readonly actionId: ActionId; readonly clientId: ClientId; readonly status: ClientStatus }
  | { readonly type: 'clientKicked'; readonly actionId: ActionId; readonly clientId: ClientId }
  | { readonly type: 'clientDeleted'; readonly actionId: ActionId; readonly clientId: ClientId };

export type AppTarget = { readonly clientId: ClientId } | { readonly profileId: ProfileId };

export type ApplicationInput =
  /** The application sends a message to a client (or to a profile's enabled client). */
  | {
      readonly type: 'appMessageSent';
      readonly actionId: ActionId;
      readonly to: AppTarget;
      readonly appType: string;
      readonly payload: Uint8Array;
      /** The client message this answers, or 0 for a push. */
      readonly replyTo: number;
    }
  /** The application finished handling the message it was handed (`deliver`) with this seq. */
  | { readonly type: 'appMessageHandled'; readonly clientId: ClientId; readonly seq: number };

export type HubInput = TransportInput | OperatorInput | ApplicationInput | { readonly type: 'timerFired' };

export type InputType = HubInput['type'];
