/**
 * Theory of operation: what the simulator reports when something that must
 * always hold did not. Kinds split in two families:
 *
 * - core kinds are decided from the core's inputs, states and commands alone
 *   (`CoreChecker`), so a trace of core inputs reproduces them and can be
 *   shrunk;
 * - end-to-end kinds are decided from what the simulated clients and the
 *   simulated application saw (acknowledged messages, answers after a crash,
 *   re-deliveries): they need the world to reproduce.
 */

export type CoreViolationKind =
  /** `step` threw (the core must never throw on anything a peer sent). */
  | 'coreThrew'
  /** A profile has two enabled clients, or its `enabledClient` does not name the enabled one. */
  | 'oneEnabledPerProfile'
  /** A client that is not `enabled` is online. */
  | 'onlyEnabledOnline'
  /** A client's inSeq, outSeq or outAcked went down. */
  | 'seqBackwards'
  /** A client's inSeq moved past a message that never arrived (or moved without a message). */
  | 'seqSkipped'
  /** A `deliver` for a (clientId, seq) that was already handed over, or out of order. */
  | 'duplicateDelivery'
  /** A `deliver` that matches no message the client sent at that seq in this input. */
  | 'deliverMismatch'
  /** A registered application message was handled (inSeq passed it) without a `deliver`. */
  | 'undelivered'
  /** A client lost its session other than by transport loss, and its link got no `close`. */
  | 'silentClose'
  /** `nextDeadline(state)` is not after `now`. */
  | 'deadlineNotAfterNow'
  /** A refused request changed the requesting client's record (nothing may change before all checks passed). */
  | 'refusalChangedState'
  /** `checkInvariants` reported a problem. */
  | 'stateInvariant'
  /** A state did not survive serialize + deserialize unchanged. */
  | 'recoveryDiverged';

export type EndToEndViolationKind =
  /** The application got a (clientId, seq) again after it had durably confirmed it, or twice in one hub lifetime. */
  | 'redelivered'
  /** A client saw one of its application messages acknowledged, and the application never got it. */
  | 'ackedNotDelivered'
  /** After a crash, the hub's `ok` acknowledged less than the client had already seen acknowledged. */
  | 'ackedLost'
  /** After a crash, the hub's `ok` said it had sent fewer messages than the client had received. */
  | 'hubSeqBackwards'
  /** A client the hub had registered (`ok`) was answered `reset`: the registration was lost. */
  | 'registrationLost'
  /** A hub→client application message the application was told was queued can no longer reach the client. */
  | 'hubMessageLost'
  /** A client received, at some seq, an application message the application never queued there. */
  | 'hubMessageMismatch'
  /** The hub acknowledged client messages the client never sent. */
  | 'ackBeyondSent'
  /** A client was refused `badCredentials` with a secret the hub had accepted before. */
  | 'credentialsLost';

export type ViolationKind = CoreViolationKind | EndToEndViolationKind;

export const CORE_VIOLATION_KINDS: ReadonlySet<ViolationKind> = new Set<CoreViolationKind>([
  'coreThrew',
  'oneEnabledPerProfile',
  'onlyEnabledOnline',
  'seqBackwards',
  'seqSkipped',
  'duplicateDelivery',
  'deliverMismatch',
  'undelivered',
  'silentClose',
  'deadlineNotAfterNow',
  'refusalChangedState',
  'stateInvariant',
  'recoveryDiverged',
]);

export interface Violation {
  readonly kind: ViolationKind;
  /** A sentence for a person. */
  readonly message: string;
  /** Virtual time (the hub's clock) when it was seen. */
  readonly now: number;
  /** Index of the hub step in the run's history (0-based), or -1 when not tied to a step. */
  readonly step: number;
  /** The client concerned, if any. */
  readonly clientId: number | null;
}
