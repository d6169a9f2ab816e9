/**
 * @packageDocumentation
 * `@dialoghub/core`: the pure protocol core of dialoghub.
 *
 * `step(state, input, now)` returns `{ state, commands }`: the hub's next state
 * and what the shell must do, in order. The core does no I/O, reads no clock,
 * draws no random numbers and never mutates the state it was given. See
 * docs/architecture.md for the run loop and docs/protocol.md for the protocol.
 */
export { initialState, clientDialogOf, type HubState } from './state.js';
export { step, nextDeadline, pendingDeliveries, run, type Step } from './step.js';
export {
  resolveConfig,
  CONNECTION_TIMINGS,
  MAILBOX_TIMINGS,
  DEFAULT_LIMITS,
  type HubConfig,
  type ResolvedConfig,
  type Limits,
} from './config.js';
export type { HubInput, InputType, TransportInput, OperatorInput, ApplicationInput, AppTarget, ActionId } from './inputs.js';
export type { HubCommand, CommandType, HubEvent, LogLevel, LogDetail } from './commands.js';
/** The session deadline index inside `HubState` (read it through `nextDeadline`; its layout is internal). */
export type { DeadlineIndex, DeadlineKey } from './deadlines.js';
export { CLIENT_MESSAGE_TYPES, type DialogMessage, type MessageBody, type MessageType } from './messages.js';
export {
  CLOSE_REASON_RECONNECT,
  CLOSE_REASONS,
  REJECT_REASONS,
  type Answer,
  type AnswerCode,
  type CloseReason,
  type Credential,
  type ProfileSummary,
  type RejectReason,
  type Request,
  type RequestKind,
} from './requests.js';
export {
  CLIENT_STATUSES,
  MANAGEMENT_MODES,
  POLICIES,
  EMPTY_DIALOG,
  type Client,
  type ClientStatus,
  type Contact,
  type DialogState,
  type Environment,
  type EnvironmentEntry,
  type ManagementMode,
  type OutboundMessage,
  type PendingDelivery,
  type Policy,
  type Profile,
  type Session,
} from './model.js';
export { SAME_CLIENT, OTHER_CLIENT, type SameClientAction, type OtherClientAction, type ClaimKind } from './policy.js';
export { STATUS_TRANSITIONS, isAllowedTransition, type StatusTransition, type StatusTrigger, type StatusNode } from './transitions.js';
export { clientId, profileId, linkId, millis, isU32, isU32Id, type ClientId, type ProfileId, type LinkId, type Millis, type CommandId } from './ids.js';
export { HubUsageError, type HubUsageErrorCode } from './errors.js';
export { ok, err, type Result } from './result.js';
export { verifierOf, credentialVerifier } from './credentials.js';
export { redactInput, redactCommand } from './redact.js';
export { serialize, serializeInSlices, deserialize, SNAPSHOT_VERSION, type SliceLimits, type SnapshotError, type DeserializeOptions } from './snapshot.js';
export { checkInvariants } from './invariants.js';
export { IntMap } from './collections/int-map.js';
export {
  encodeFrame,
  decodeFrame,
  DEFAULT_CODEC_LIMITS,
  WIRE_VERSION,
  type Frame,
  type CodecLimits,
  type DecodeError,
  type DecodeErrorCode,
} from './protocol/codec.js';
export { encodeRecord, decodeRecord, TRACE_RECORD_VERSION, type TraceRecord } from './protocol/trace-codec.js';
