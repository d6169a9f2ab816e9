/**
 * fast-check arbitraries for the protocol's values, shared by every core test.
 *
 * Everything generated here is valid for the types AND round-trips through
 * the wire codec with `DEFAULT_CODEC_LIMITS`: strings are well-formed UTF-16
 * (no lone surrogates, which the codec turns into U+FFFD), ids are in
 * [1, 2^32), sequence numbers in [0, 2^32), `seq` is 0 exactly for a bare ack,
 * and sizes stay far below the limits so properties run fast. Build bigger or
 * nastier values from the exported building blocks when a test needs them.
 */
import { fc } from '@fast-check/vitest';
import { clientId, profileId, type ClientId, type ProfileId } from '../src/ids.js';
import type { DialogMessage, MessageBody } from '../src/messages.js';
import {
  CLIENT_STATUSES,
  MANAGEMENT_MODES,
  type ClientStatus,
  type Contact,
  type Environment,
  type ManagementMode,
} from '../src/model.js';
import {
  CLOSE_REASONS,
  REJECT_REASONS,
  type Answer,
  type CloseReason,
  type Credential,
  type ProfileSummary,
  type RejectReason,
  type Request,
} from '../src/requests.js';
import type { Frame } from '../src/protocol/codec.js';

// --- Scalars ---------------------------------------------------------------

/** Any unsigned 32-bit integer, 0 included: request ids, seq, ack, replyTo, lastReceived, lastSent. */
export const arbU32: fc.Arbitrary<number> = fc.integer({ min: 0, max: 0xffffffff });
/** A sequence number of a sequenced message: [1, 2^32). */
export const arbSeq: fc.Arbitrary<number> = fc.integer({ min: 1, max: 0xffffffff });
/** A valid client id: [1, 2^32). */
export const arbClientId: fc.Arbitrary<ClientId> = fc.integer({ min: 1, max: 0xffffffff }).map(clientId);
/** A valid profile id: [1, 2^32). */
export const arbProfileId: fc.Arbitrary<ProfileId> = fc.integer({ min: 1, max: 0xffffffff }).map(profileId);

/**
 * Well-formed text of up to `maxLength` code points: mostly printable ASCII,
 * sometimes any Unicode scalar value (astral planes, controls, U+FFFF…).
 */
export function arbTextOf(maxLength: number): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.string({ maxLength }) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength }) },
  );
}
/** Well-formed text of up to 16 code points (at most 64 UTF-8 bytes). */
export const arbText: fc.Arbitrary<string> = arbTextOf(16);

/** Any client status. */
export const arbClientStatus: fc.Arbitrary<ClientStatus> = fc.constantFrom(...CLIENT_STATUSES);
/** Any management mode. */
export const arbManagementMode: fc.Arbitrary<ManagementMode> = fc.constantFrom(...MANAGEMENT_MODES);
/** Any reject reason. */
export const arbRejectReason: fc.Arbitrary<RejectReason> = fc.constantFrom(...REJECT_REASONS);
/** Any close reason. */
export const arbCloseReason: fc.Arbitrary<CloseReason> = fc.constantFrom(...CLOSE_REASONS);

// --- Records ---------------------------------------------------------------

/** Contact fields. */
export const arbContact: fc.Arbitrary<Contact> = fc.record({ name: arbText, phone: arbText, email: arbText });

/** An environment of up to 8 entries (unique keys, plain prototype). */
export const arbEnvironment: fc.Arbitrary<Environment> = fc.dictionary(arbText, arbText, { maxKeys: 8, noNullPrototype: true });

/** A wire credential: only `{ secret }` ever travels. */
export const arbCredential: fc.Arbitrary<Credential> = arbText.map((secret) => ({ secret }));

/** One entry of a profile list. */
export const arbProfileSummary: fc.Arbitrary<ProfileSummary> = fc.record({ id: arbProfileId, name: arbText, mode: arbManagementMode });

const arbProfileList = fc.array(arbProfileSummary, { maxLength: 5 });

// --- Requests --------------------------------------------------------------

/** Each request kind on its own, for tests that target one. */
export const arbRequestOfKind = {
  register: fc.record({
    kind: fc.constant('register' as const),
    requestId: arbU32,
    clientId: arbClientId,
    profileId: arbProfileId,
    contact: arbContact,
    environment: arbEnvironment,
  }),
  start: fc.record({
    kind: fc.constant('start' as const),
    requestId: arbU32,
    clientId: arbClientId,
    credential: arbCredential,
    environment: arbEnvironment,
    lastReceived: arbU32,
  }),
  resume: fc.record({
    kind: fc.constant('resume' as const),
    requestId: arbU32,
    clientId: arbClientId,
    credential: arbCredential,
    lastReceived: arbU32,
  }),
  sync: fc.record({
    kind: fc.constant('sync' as const),
    requestId: arbU32,
    clientId: arbClientId,
    credential: arbCredential,
    lastReceived: arbU32,
  }),
  login: fc.record({
    kind: fc.constant('login' as const),
    requestId: arbU32,
    clientId: arbClientId,
    credential: arbCredential,
    environment: fc.option(arbEnvironment, { nil: null }),
    lastReceived: arbU32,
  }),
  profiles: fc.record({ kind: fc.constant('profiles' as const), requestId: arbU32, clientId: arbClientId }),
} satisfies { readonly [K in Request['kind']]: fc.Arbitrary<Extract<Request, { kind: K }>> };

/** Any request, every kind equally likely. */
export const arbRequest: fc.Arbitrary<Request> = fc.oneof(...Object.values(arbRequestOfKind));

// --- Answers ---------------------------------------------------------------

/** Each answer code on its own, for tests that target one. */
export const arbAnswerOfCode = {
  ok: fc.record({
    code: fc.constant('ok' as const),
    clientId: arbClientId,
    status: arbClientStatus,
    secret: fc.option(arbText, { nil: null }),
    lastReceived: arbU32,
    lastSent: arbU32,
  }),
  rejected: fc.record({ code: fc.constant('rejected' as const), clientId: arbClientId, reason: arbRejectReason }),
  invalidId: fc.record({ code: fc.constant('invalidId' as const), clientId: arbClientId }),
  invalidProfile: fc.record({ code: fc.constant('invalidProfile' as const), clientId: arbClientId, profiles: arbProfileList }),
  reset: fc.record({ code: fc.constant('reset' as const), clientId: arbClientId }),
  profiles: fc.record({ code: fc.constant('profiles' as const), clientId: arbClientId, profiles: arbProfileList }),
} satisfies { readonly [K in Answer['code']]: fc.Arbitrary<Extract<Answer, { code: K }>> };

/** Any answer, every code equally likely. */
export const arbAnswer: fc.Arbitrary<Answer> = fc.oneof(...Object.values(arbAnswerOfCode));

// --- Dialog messages -------------------------------------------------------

/** Each message body type on its own, for tests that target one. */
export const arbMessageBodyOfType = {
  sync: fc.constant({ type: 'sync' as const }),
  null: fc.record({ type: fc.constant('null' as const), replyTo: arbU32 }),
  setInfo: fc.record(
    { type: fc.constant('setInfo' as const), contact: arbContact, clientId: arbU32, profileId: arbU32 },
    { requiredKeys: ['type', 'contact'] },
  ),
  ok: fc.record({ type: fc.constant('ok' as const), replyTo: arbU32 }),
  refused: fc.record({ type: fc.constant('refused' as const), replyTo: arbU32, reason: arbText }),
  log: fc.record({ type: fc.constant('log' as const), at: fc.maxSafeInteger(), isError: fc.boolean(), text: arbTextOf(64) }),
  close: fc.constant({ type: 'close' as const }),
  app: fc.record({
    type: fc.constant('app' as const),
    appType: arbText,
    payload: fc.uint8Array({ maxLength: 64 }),
    replyTo: arbU32,
  }),
  ack: fc.constant({ type: 'ack' as const }),
} satisfies { readonly [K in MessageBody['type']]: fc.Arbitrary<Extract<MessageBody, { type: K }>> };

/** Any body a sequenced message may carry (everything but `ack`). */
export const arbSequencedBody: fc.Arbitrary<Exclude<MessageBody, { type: 'ack' }>> = fc.oneof(
  arbMessageBodyOfType.sync,
  arbMessageBodyOfType.null,
  arbMessageBodyOfType.setInfo,
  arbMessageBodyOfType.ok,
  arbMessageBodyOfType.refused,
  arbMessageBodyOfType.log,
  arbMessageBodyOfType.close,
  arbMessageBodyOfType.app,
);

/** Any message body, `ack` included (pair an `ack` with seq 0: see {@link arbDialogMessage}). */
export const arbMessageBody: fc.Arbitrary<MessageBody> = fc.oneof(arbSequencedBody, arbMessageBodyOfType.ack);

/** A sequenced message: seq ≥ 1 and any body but `ack`. */
export const arbSequencedMessage: fc.Arbitrary<DialogMessage> = fc.record({ seq: arbSeq, ack: arbU32, body: arbSequencedBody });

/** A bare acknowledgement: seq 0, body `ack`. */
export const arbBareAck: fc.Arbitrary<DialogMessage> = fc.record({ seq: fc.constant(0), ack: arbU32, body: arbMessageBodyOfType.ack });

/** Any dialog message that respects the seq/ack rule (seq 0 exactly for a bare ack). */
export const arbDialogMessage: fc.Arbitrary<DialogMessage> = fc.oneof({ weight: 4, arbitrary: arbSequencedMessage }, { weight: 1, arbitrary: arbBareAck });

// --- Frames ----------------------------------------------------------------

/** Each frame kind on its own, for tests that target one. */
export const arbFrameOfKind = {
  request: fc.record({ kind: fc.constant('request' as const), request: arbRequest }),
  answer: fc.record({ kind: fc.constant('answer' as const), requestId: arbU32, answer: arbAnswer }),
  dialog: fc.record({
    kind: fc.constant('dialog' as const),
    clientId: arbClientId,
    messages: fc.array(arbDialogMessage, { maxLength: 8 }),
  }),
  close: fc.record({ kind: fc.constant('close' as const), reason: arbCloseReason, reconnect: fc.boolean() }),
} satisfies { readonly [K in Frame['kind']]: fc.Arbitrary<Extract<Frame, { kind: K }>> };

/** Any frame, every kind equally likely. */
export const arbFrame: fc.Arbitrary<Frame> = fc.oneof(...Object.values(arbFrameOfKind));
