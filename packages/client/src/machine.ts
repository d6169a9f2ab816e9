/**
 * Theory of operation: the client engine as one xstate v5 machine
 * (docs/client.md has the chart, generated from this file).
 *
 *     disconnected → connecting → attached.authenticating → attached.online
 *     attached.online → backoff → resuming → attached.authenticating → …
 *     any → stopped (terminal: the reason is in the context and the event)
 *     stopped (or disconnected) → [resume] → connecting → … once, no retry
 *
 * - `connecting` / `resuming` open a link (actor `connect`); `resuming` is the
 *   same step for an automatic re-login after a loss, which is what
 *   `relogon` events report on.
 * - `attached` owns the link (actor `link`: frames in, `transmit` out); its
 *   exit drops the link. Inside it, `authenticating` fetches credentials
 *   (actor `credentials`, on EVERY attempt) and sends the login, a `start`,
 *   a `resume` (the user's `resume` event) or a registration; `savingSecret`
 *   hands a registration's secret to the application (actor
 *   `saveCredentials`); `online` carries the dialog; `closing` sends the
 *   user's `close` while the link still exists (a transition's own actions
 *   run after the exits, too late for that).
 * - `online.live` is re-entered on every hub frame: its timers measure hub
 *   silence. `quiet` sends keep-alives; after `silenceSyncMs` (when set, for
 *   a mailbox) `syncing` fetches the credentials and sends one `sync`
 *   request on the link (the seed's client-side cnx Sync, protocol §7.2).
 *   Its answer is handled like a login's: `ok` keeps the engine online and
 *   resends what the hub has not handled (`acceptSync`: same numbers, since
 *   the link is the same); a refusal has the login's outcome.
 * - A `resume` (the user asks to be re-enabled, protocol §5) is one attempt:
 *   a failure that would otherwise back off and retry stops the engine
 *   (`resumeFailed`) — never a loop of re-enabling requests.
 * - `backoff` waits `random(0, min(cap, base·2^attempt))` (delay `backoff`)
 *   and counts the attempt; `online` resets the count after `minUptime`.
 * - Terminal: every close reason with `reconnect` false, every refusal the
 *   `REFUSAL_OUTCOME` table stops on, `heartbeatTimeout` (the hub was silent
 *   for `heartbeatTimeoutMs`), `stop` by the user, `maxRetries`, a failed
 *   `resume` (`resumeFailed`). A terminal
 *   reason never schedules a reconnect, so a push-out cannot turn into
 *   reconnect ping-pong.
 *
 * What it must not do: effects. Every effect is a named action or actor whose
 * implementation `bindTransport` supplies with `machine.provide()`; the
 * placeholders here throw. Assignments and emitted events are pure functions
 * of the context and the event; the protocol arithmetic lives in dialog.ts,
 * the decisions in outcomes.ts.
 */
import type { Answer, ClientId, DialogMessage, Request } from '@dialoghub/core';
import { assign, emit, enqueueActions, fromCallback, fromPromise, setup, type ParameterizedObject } from 'xstate';
import { backoffBound } from './backoff.js';
import type { AttemptCredentials, IssuedCredentials } from './credentials.js';
import {
  adoptLogin,
  adoptSync,
  appMessageProblem,
  bareAck,
  dialogFrames,
  enqueue as enqueueMessage,
  lastReceivedOf,
  rebase,
  receive,
  sequenceOnce,
  type Outgoing,
} from './dialog.js';
import { ClientUsageError } from './errors.js';
import type { ClientFrame } from './link.js';
import { answerOutcome, closeIsTerminal, type AnswerOutcome, type StopReason } from './outcomes.js';
import { initialContext, type ClientContext, type ClientEmitted, type ClientEvent, type ClientInput, type LinkCommand } from './types.js';

function notProvided(what: string): never {
  throw new ClientUsageError('notProvided', `the client machine's ${what} is not provided: use bindTransport(…) or createClientActor(…)`);
}

/** The outcome of an answer for the pending request, or `ignore` when it is not the answer to it (B14: match request id and client id). */
function outcomeOf(context: ClientContext, event: ClientEvent): AnswerOutcome {
  if (event.type !== 'answerReceived' || context.pending === null) return { type: 'ignore' };
  if (event.requestId !== context.requestId || event.answer.clientId !== context.clientId) return { type: 'ignore' };
  if (context.pending !== 'register' && (event.answer.code === 'invalidId' || event.answer.code === 'invalidProfile')) {
    // Registration answers to a login: the hub does not send them; treat as a refusal of this link.
    return { type: 'retry', reason: event.answer.code };
  }
  return answerOutcome(event.answer, context.pending === 'register' && context.drawnId, context.idDraws + 1 < context.settings.maxIdDraws);
}

function nextRequestId(id: number): number {
  return id >= 0xffffffff ? 1 : id + 1;
}

/** The request one attempt sends, from its credentials and the dialog. */
function requestOf(context: ClientContext, credentials: AttemptCredentials, requestId: number): Request {
  if (credentials.kind === 'register') {
    return {
      kind: 'register',
      requestId,
      clientId: credentials.clientId,
      profileId: credentials.profileId,
      contact: credentials.contact,
      environment: credentials.environment,
    };
  }
  const common = {
    requestId,
    clientId: credentials.clientId,
    credential: { secret: credentials.secret },
    lastReceived: lastReceivedOf(context.dialog),
  };
  switch (context.phase) {
    case 'login':
      return { kind: 'login', ...common, environment: context.settings.environment };
    case 'resume':
      return { kind: 'resume', ...common };
    case 'relogon':
      return { kind: 'start', ...common, environment: context.settings.environment };
    default: {
      const never: never = context.phase;
      throw new TypeError(`unknown phase ${String(never)}`);
    }
  }
}

function pendingOf(phase: ClientContext['phase']): 'login' | 'resume' | 'start' {
  return phase === 'login' ? 'login' : phase === 'resume' ? 'resume' : 'start';
}

/** The credentials fetched for a `sync` name the client that is online: a changed identity never syncs on this link. */
function sameLogin(context: ClientContext, credentials: AttemptCredentials): credentials is Extract<AttemptCredentials, { kind: 'login' }> {
  return credentials.kind === 'login' && credentials.clientId === context.clientId;
}

function framesOf(context: ClientContext, messages: readonly DialogMessage[]): ClientFrame[] {
  if (messages.length === 0 || context.clientId === null) return [];
  return dialogFrames(context.clientId as ClientId, messages, context.settings.maxFrameMessages);
}

function refsOf(acked: readonly Outgoing[]): number[] {
  return acked.flatMap((m) => (m.ref === null ? [] : [m.ref]));
}

/** The secret a granted registration carries, for `saveCredentials`. */
function issuedOf(event: ClientEvent): IssuedCredentials | null {
  if (event.type !== 'answerReceived' || event.answer.code !== 'ok' || event.answer.secret === null) return null;
  return { clientId: event.answer.clientId, secret: event.answer.secret };
}

function stopReasonOf(context: ClientContext, event: ClientEvent): StopReason {
  if (event.type === 'closeReceived') return event.reason;
  const outcome = outcomeOf(context, event);
  return outcome.type === 'stop' ? outcome.reason : 'refused';
}

function failureOf(context: ClientContext, event: ClientEvent): string {
  switch (event.type) {
    case 'answerReceived': {
      const outcome = outcomeOf(context, event);
      return outcome.type === 'stop' || outcome.type === 'retry' ? outcome.reason : event.answer.code;
    }
    case 'closeReceived':
      return event.reason;
    case 'linkLost':
      return event.cause;
    default:
      return event.type;
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The one effect the machine's own composite actions enqueue. */
type Transmit = { readonly type: 'transmit'; readonly params: { readonly frames: readonly ClientFrame[] } };

/**
 * A named action made of others (`enqueueActions`): assignments, emitted
 * events and `transmit`. Typed by hand because xstate cannot infer the
 * sibling named actions of a `setup` from inside it.
 */
function composite<P extends ParameterizedObject['params'] | undefined>(
  collect: Parameters<typeof enqueueActions<ClientContext, ClientEvent, P, ClientEvent, never, Transmit, never, never, ClientEmitted>>[0],
) {
  return enqueueActions<ClientContext, ClientEvent, P, ClientEvent, never, Transmit, never, never, ClientEmitted>(collect);
}

type OkAnswer = Extract<Answer, { code: 'ok' }>;

export const clientMachine = setup({
  types: {} as {
    context: ClientContext;
    events: ClientEvent;
    input: ClientInput;
    emitted: ClientEmitted;
  },
  actors: {
    /** Opens a link through the transport; resolves with its key in the link table. */
    connect: fromPromise<{ readonly linkId: number }, { readonly attempt: number }>(() => notProvided('actor "connect"')),
    /** Carries frames on the link `linkId`: hub frames in as events, `transmit` commands out; stopping it ends the link. */
    link: fromCallback<LinkCommand, { readonly linkId: number | null }>(() => notProvided('actor "link"')),
    /** Calls the application's `getCredentials()` (every attempt) and normalises the result. */
    credentials: fromPromise<AttemptCredentials, { readonly attempt: number; readonly environment: ClientContext['settings']['environment'] }>(() =>
      notProvided('actor "credentials"'),
    ),
    /** Hands a registration's issued secret to the application's `onRegistered`. */
    saveCredentials: fromPromise<void, IssuedCredentials | null>(() => notProvided('actor "saveCredentials"')),
  },
  actions: {
    /** Effect: send frames on the current link. */
    transmit: (_, _params: { readonly frames: readonly ClientFrame[] }) => notProvided('action "transmit"'),

    /** A run begins (the user's start): first attempt, `login` requests, nothing stopped. */
    beginRun: assign({ phase: 'login', attempt: 0, stopReason: null, lastFailure: null, idDraws: 0 }),
    /** The user asks to be re-enabled: one attempt with a `resume` request. */
    beginResume: assign({ phase: 'resume', attempt: 0, stopReason: null, lastFailure: null, idDraws: 0 }),
    adoptLink: assign({ linkId: (_, params: { readonly linkId: number }) => params.linkId }),
    forgetLink: assign({ linkId: null }),
    countAttempt: assign({ attempt: ({ context }) => context.attempt + 1 }),
    resetAttempts: assign({ attempt: 0 }),
    countIdDraw: assign({ idDraws: ({ context }) => context.idDraws + 1 }),
    stopWith: assign({ stopReason: (_, params: { readonly reason: StopReason }) => params.reason }),

    /** Sends the attempt's request: a registration, or `login` (user's run) / `resume` (user's resume) / `start` (re-login) with `lastReceived`. */
    sendRequest: composite(({ context, enqueue }, params: { readonly credentials: AttemptCredentials }) => {
      const c = params.credentials;
      const requestId = nextRequestId(context.requestId);
      const sameClient = context.clientId === c.clientId;
      const next: ClientContext = {
        ...context,
        requestId,
        clientId: c.clientId,
        pending: c.kind === 'register' ? 'register' : pendingOf(context.phase),
        drawnId: c.kind === 'register' && c.drawn,
        idDraws: c.kind === 'register' ? context.idDraws : 0,
        // Another client id is another dialog: its counters restart.
        dialog: sameClient ? context.dialog : rebase(context.dialog),
      };
      enqueue.assign({
        requestId: next.requestId,
        clientId: next.clientId,
        pending: next.pending,
        drawnId: next.drawnId,
        idDraws: next.idDraws,
        dialog: next.dialog,
      });
      enqueue({ type: 'transmit', params: { frames: [{ kind: 'request', request: requestOf(next, c, requestId) }] } });
    }),

    /**
     * Hub silence while online (`silenceSyncMs`): a `sync` request on the link, with `lastReceived`.
     * The hub re-admits the client (the same session if it still has one) and resends its outbox.
     */
    sendSync: composite(({ context, enqueue }, params: { readonly credentials: AttemptCredentials }) => {
      const c = params.credentials;
      if (!sameLogin(context, c)) return;
      const requestId = nextRequestId(context.requestId);
      enqueue.assign({ requestId, pending: 'sync' });
      const request: Request = {
        kind: 'sync',
        requestId,
        clientId: c.clientId,
        credential: { secret: c.secret },
        lastReceived: lastReceivedOf(context.dialog),
      };
      enqueue({ type: 'transmit', params: { frames: [{ kind: 'request', request }] } });
    }),

    /** The hub said `ok` (to a login, start, resume or registration): align the dialog with its `lastReceived` and resend what it has not handled. */
    acceptLogin: composite(({ context, enqueue }, params: { readonly answer: OkAnswer }) => {
      const adopted = adoptLogin(context.dialog, params.answer.lastReceived);
      enqueue.assign({ dialog: adopted.dialog, pending: null, idDraws: 0, lastFailure: null });
      const refs = refsOf(adopted.acked);
      if (refs.length > 0) enqueue.emit({ type: 'acknowledged', refs, upTo: adopted.dialog.outAcked });
      if (adopted.conflict !== null) enqueue.emit({ type: 'idConflict', clientId: context.clientId ?? 0, ...adopted.conflict });
      const frames = framesOf(context, adopted.resend);
      if (frames.length > 0) enqueue({ type: 'transmit', params: { frames } });
    }),

    /** The hub said `ok` to a `sync` on this link: acknowledge what it handled and resend the rest under the same numbers (later messages are in flight). */
    acceptSync: composite(({ context, enqueue }, params: { readonly answer: OkAnswer }) => {
      const adopted = adoptSync(context.dialog, params.answer.lastReceived);
      enqueue.assign({ dialog: adopted.dialog, pending: null });
      const refs = refsOf(adopted.acked);
      if (refs.length > 0) enqueue.emit({ type: 'acknowledged', refs, upTo: adopted.dialog.outAcked });
      if (adopted.conflict !== null) enqueue.emit({ type: 'idConflict', clientId: context.clientId ?? 0, ...adopted.conflict });
      const frames = framesOf(context, adopted.resend);
      if (frames.length > 0) enqueue({ type: 'transmit', params: { frames } });
    }),

    /**
     * Hub dialog messages: drop duplicates, hand over in order, apply acks, answer Syncs with Null, ack.
     * An ack beyond what this engine sent acknowledges nothing: `idConflict`, and the pending messages go again, renumbered.
     */
    handleMessages: composite(({ context, enqueue }, params: { readonly messages: readonly DialogMessage[] }) => {
      const r = receive(context.dialog, params.messages);
      let dialog = r.dialog;
      const replies: DialogMessage[] = r.resend.map((m) => ({ seq: m.seq, ack: dialog.inSeq, body: m.body }));
      for (const syncSeq of r.syncs) {
        const q = enqueueMessage(dialog, { type: 'null', replyTo: syncSeq }, null);
        dialog = q.dialog;
        replies.push(q.message);
      }
      // Resent messages and Nulls carry the ack; otherwise a bare ack tells the hub where the engine stands.
      if (replies.length === 0 && r.needsAck) replies.push(bareAck(dialog));
      enqueue.assign({ dialog });
      for (const c of r.conflicts) enqueue.emit({ type: 'idConflict', clientId: context.clientId ?? 0, ...c });
      for (const d of r.delivered) enqueue.emit({ type: 'message', seq: d.seq, appType: d.appType, payload: d.payload, replyTo: d.replyTo });
      for (const f of r.refusals) enqueue.emit({ type: 'hubRefused', replyTo: f.replyTo, reason: f.reason });
      if (r.acked.length > 0) enqueue.emit({ type: 'acknowledged', refs: refsOf(r.acked), upTo: dialog.outAcked });
      const frames = framesOf(context, replies);
      if (frames.length > 0) enqueue({ type: 'transmit', params: { frames } });
    }),

    /** `send`: check, bound, number and keep the message; transmit it at once when a session is live. */
    queueMessage: composite(
      (
        { context, enqueue },
        params: { readonly appType: string; readonly payload: Uint8Array; readonly replyTo: number; readonly ref: number; readonly live: boolean },
      ) => {
        if (appMessageProblem(params.appType, params.payload, params.replyTo, context.settings.maxPayloadBytes) !== null) {
          enqueue.emit({ type: 'sendRefused', ref: params.ref, reason: 'invalidMessage' });
          return;
        }
        if (context.dialog.unacked.length >= context.settings.maxUnacked) {
          enqueue.emit({ type: 'sendRefused', ref: params.ref, reason: 'bufferFull' });
          return;
        }
        const q = enqueueMessage(context.dialog, { type: 'app', appType: params.appType, payload: params.payload, replyTo: params.replyTo }, params.ref);
        enqueue.assign({ dialog: q.dialog });
        if (params.live) {
          const frames = framesOf(context, [q.message]);
          if (frames.length > 0) enqueue({ type: 'transmit', params: { frames } });
        }
      },
    ),

    /** The hub has been quiet for `heartbeatIntervalMs`: a sequenced Null, which the hub acknowledges. */
    sendKeepAlive: composite(({ context, enqueue }) => {
      const q = enqueueMessage(context.dialog, { type: 'null', replyTo: 0 }, null);
      enqueue.assign({ dialog: q.dialog });
      enqueue({ type: 'transmit', params: { frames: framesOf(context, [q.message]) } });
    }),

    /** The user leaves: a `close` (numbered, never kept for a resend), before the link is dropped. */
    sendClose: composite(({ context, enqueue }) => {
      const q = sequenceOnce(context.dialog, { type: 'close' });
      enqueue.assign({ dialog: q.dialog });
      enqueue({ type: 'transmit', params: { frames: framesOf(context, [q.message]) } });
    }),

    /** An attempt failed: record it; during a re-login, report it as `relogon`, during the user's resume as `resume`. */
    noteFailure: composite(({ context, enqueue }, params: { readonly reason: string }) => {
      enqueue.assign({ lastFailure: params.reason });
      enqueue.emit({ type: 'attemptFailed', attempt: context.attempt, reason: params.reason });
      if (context.phase === 'relogon' || context.phase === 'resume') {
        const type = context.phase;
        enqueue.emit(
          params.reason === 'alreadyOnline' ? { type, result: 'alreadyOnline', reason: 'alreadyOnline' } : { type, result: 'failed', reason: params.reason },
        );
      }
    }),

    /** The link was lost while online, not for good: the next attempts are re-logins. */
    wentOffline: composite(({ enqueue }, params: { readonly cause: string }) => {
      enqueue.assign({ phase: 'relogon', lastFailure: params.cause });
      enqueue.emit({ type: 'offline', cause: params.cause });
    }),

    announceOnline: composite(({ context, enqueue }) => {
      enqueue.emit({ type: 'online', clientId: context.clientId ?? 0, relogon: context.phase === 'relogon' });
      if (context.phase === 'relogon' || context.phase === 'resume') enqueue.emit({ type: context.phase, result: 'ok', reason: null });
    }),
    refuseSend: emit((_, params: { readonly ref: number }) => ({ type: 'sendRefused' as const, ref: params.ref, reason: 'stopped' as const })),
    announceRegistered: emit(({ context }) => ({ type: 'registered' as const, clientId: context.clientId ?? 0 })),
    announceStopped: emit(({ context }) => ({ type: 'stopped' as const, reason: context.stopReason ?? 'closedByUser' })),
  },
  guards: {
    registrationGranted: ({ context, event }) => outcomeOf(context, event).type === 'online' && context.pending === 'register',
    loginGranted: ({ context, event }) => outcomeOf(context, event).type === 'online',
    idTaken: ({ context, event }) => outcomeOf(context, event).type === 'drawAgain',
    refusalRetryable: ({ context, event }) => outcomeOf(context, event).type === 'retry',
    refusalTerminal: ({ context, event }) => outcomeOf(context, event).type === 'stop',
    closeTerminal: ({ event }) => event.type === 'closeReceived' && closeIsTerminal(event.reason, event.reconnect),
    isRelogon: ({ context }) => context.phase === 'relogon',
    /** The user's resume failed short of an answer: it is never retried. */
    isResume: ({ context }) => context.phase === 'resume',
    silenceSyncOn: ({ context }) => context.settings.silenceSyncMs !== null,
    /** The fetched credentials are the online client's (a `sync` may go out). */
    sameLogin: ({ context }, params: { readonly credentials: AttemptCredentials }) => sameLogin(context, params.credentials),
    syncGranted: ({ context, event }) => context.pending === 'sync' && outcomeOf(context, event).type === 'online',
    syncRefusedRetryable: ({ context, event }) => context.pending === 'sync' && outcomeOf(context, event).type === 'retry',
    syncRefusedTerminal: ({ context, event }) => context.pending === 'sync' && outcomeOf(context, event).type === 'stop',
    retriesExhausted: ({ context }) => context.settings.maxRetries !== null && context.attempt >= context.settings.maxRetries,
  },
  delays: {
    /** The bare machine waits the bound; `bindTransport` draws the full jitter from the injected random source. */
    backoff: ({ context }) => backoffBound(context.attempt, context.settings.backoffBaseMs, context.settings.backoffCapMs),
    connectTimeout: ({ context }) => context.settings.connectTimeoutMs,
    loginTimeout: ({ context }) => context.settings.loginTimeoutMs,
    heartbeat: ({ context }) => context.settings.heartbeatIntervalMs,
    heartbeatTimeout: ({ context }) => context.settings.heartbeatTimeoutMs,
    /** Off (null): armed at the heartbeat timeout, which stops the engine first; the guard `silenceSyncOn` keeps it idle anyway. */
    silenceSync: ({ context }) => context.settings.silenceSyncMs ?? context.settings.heartbeatTimeoutMs,
    minUptime: ({ context }) => context.settings.minUptimeMs,
  },
}).createMachine({
  id: 'client',
  context: ({ input }) => initialContext(input),
  initial: 'disconnected',
  on: {
    // Anywhere not overridden below: keep it for the next session.
    send: { actions: { type: 'queueMessage', params: ({ event }) => ({ appType: event.appType, payload: event.payload, replyTo: event.replyTo ?? 0, ref: event.ref ?? 0, live: false }) } },
  },
  states: {
    disconnected: {
      on: {
        start: { target: 'connecting', actions: 'beginRun' },
        resume: { target: 'connecting', actions: 'beginResume' },
        stop: { target: 'stopped', actions: { type: 'stopWith', params: { reason: 'closedByUser' } } },
      },
    },
    connecting: {
      invoke: {
        id: 'connect',
        src: 'connect',
        input: ({ context }) => ({ attempt: context.attempt }),
        onDone: { target: 'attached', actions: { type: 'adoptLink', params: ({ event }) => ({ linkId: event.output.linkId }) } },
        onError: { target: 'backoff', actions: { type: 'noteFailure', params: ({ event }) => ({ reason: `connect: ${errorText(event.error)}` }) } },
      },
      after: { connectTimeout: { target: 'backoff', actions: { type: 'noteFailure', params: { reason: 'connectTimeout' } } } },
      on: { stop: { target: 'stopped', actions: { type: 'stopWith', params: { reason: 'closedByUser' } } } },
    },
    resuming: {
      invoke: {
        id: 'connect',
        src: 'connect',
        input: ({ context }) => ({ attempt: context.attempt }),
        onDone: { target: 'attached', actions: { type: 'adoptLink', params: ({ event }) => ({ linkId: event.output.linkId }) } },
        onError: { target: 'backoff', actions: { type: 'noteFailure', params: ({ event }) => ({ reason: `connect: ${errorText(event.error)}` }) } },
      },
      after: { connectTimeout: { target: 'backoff', actions: { type: 'noteFailure', params: { reason: 'connectTimeout' } } } },
      on: { stop: { target: 'stopped', actions: { type: 'stopWith', params: { reason: 'closedByUser' } } } },
    },
    attached: {
      invoke: { id: 'link', src: 'link', input: ({ context }) => ({ linkId: context.linkId }) },
      exit: 'forgetLink',
      on: { stop: { target: 'stopped', actions: { type: 'stopWith', params: { reason: 'closedByUser' } } } },
      initial: 'authenticating',
      states: {
        authenticating: {
          after: { loginTimeout: { target: '#client.backoff', actions: { type: 'noteFailure', params: { reason: 'loginTimeout' } } } },
          on: {
            linkLost: { target: '#client.backoff', actions: { type: 'noteFailure', params: ({ event }) => ({ reason: event.cause }) } },
            closeReceived: [
              {
                guard: 'closeTerminal',
                target: '#client.stopped',
                actions: [
                  { type: 'noteFailure', params: ({ event }) => ({ reason: event.reason }) },
                  { type: 'stopWith', params: ({ event }) => ({ reason: event.reason }) },
                ],
              },
              { target: '#client.backoff', actions: { type: 'noteFailure', params: ({ event }) => ({ reason: event.reason }) } },
            ],
          },
          initial: 'credentials',
          states: {
            credentials: {
              invoke: {
                id: 'credentials',
                src: 'credentials',
                input: ({ context }) => ({ attempt: context.attempt, environment: context.settings.environment }),
                onDone: { target: 'awaitingAnswer', actions: { type: 'sendRequest', params: ({ event }) => ({ credentials: event.output }) } },
                onError: {
                  target: '#client.backoff',
                  actions: { type: 'noteFailure', params: ({ event }) => ({ reason: `credentials: ${errorText(event.error)}` }) },
                },
              },
            },
            awaitingAnswer: {
              on: {
                answerReceived: [
                  {
                    guard: 'registrationGranted',
                    target: '#client.attached.savingSecret',
                    actions: { type: 'acceptLogin', params: ({ event }) => ({ answer: event.answer as OkAnswer }) },
                  },
                  {
                    guard: 'loginGranted',
                    target: '#client.attached.online',
                    actions: { type: 'acceptLogin', params: ({ event }) => ({ answer: event.answer as OkAnswer }) },
                  },
                  { guard: 'idTaken', target: 'credentials', actions: 'countIdDraw' },
                  {
                    guard: 'refusalRetryable',
                    target: '#client.backoff',
                    actions: { type: 'noteFailure', params: ({ context, event }) => ({ reason: failureOf(context, event) }) },
                  },
                  {
                    guard: 'refusalTerminal',
                    target: '#client.stopped',
                    actions: [
                      { type: 'noteFailure', params: ({ context, event }) => ({ reason: failureOf(context, event) }) },
                      { type: 'stopWith', params: ({ context, event }) => ({ reason: stopReasonOf(context, event) }) },
                    ],
                  },
                ],
              },
            },
          },
        },
        savingSecret: {
          invoke: {
            id: 'saveCredentials',
            src: 'saveCredentials',
            input: ({ event }) => issuedOf(event),
            onDone: { target: 'online', actions: 'announceRegistered' },
            onError: { target: '#client.stopped', actions: { type: 'stopWith', params: { reason: 'credentialsNotSaved' } } },
          },
          on: {
            send: { actions: { type: 'queueMessage', params: ({ event }) => ({ appType: event.appType, payload: event.payload, replyTo: event.replyTo ?? 0, ref: event.ref ?? 0, live: true }) } },
            messagesReceived: { actions: { type: 'handleMessages', params: ({ event }) => ({ messages: event.messages }) } },
            linkLost: { target: '#client.backoff', actions: { type: 'wentOffline', params: ({ event }) => ({ cause: event.cause }) } },
            closeReceived: [
              { guard: 'closeTerminal', target: '#client.stopped', actions: { type: 'stopWith', params: ({ event }) => ({ reason: event.reason }) } },
              { target: '#client.backoff', actions: { type: 'wentOffline', params: ({ event }) => ({ cause: event.reason }) } },
            ],
          },
        },
        closing: {
          entry: 'sendClose',
          always: { target: '#client.stopped', actions: { type: 'stopWith', params: { reason: 'closedByUser' } } },
        },
        online: {
          entry: 'announceOnline',
          after: { minUptime: { actions: 'resetAttempts' } },
          on: {
            send: { actions: { type: 'queueMessage', params: ({ event }) => ({ appType: event.appType, payload: event.payload, replyTo: event.replyTo ?? 0, ref: event.ref ?? 0, live: true }) } },
            // Any hub frame proves the hub alive: re-entering `live` restarts the silence timers.
            messagesReceived: { target: '.live', actions: { type: 'handleMessages', params: ({ event }) => ({ messages: event.messages }) } },
            linkLost: { target: '#client.backoff', actions: { type: 'wentOffline', params: ({ event }) => ({ cause: event.cause }) } },
            closeReceived: [
              { guard: 'closeTerminal', target: '#client.stopped', actions: { type: 'stopWith', params: ({ event }) => ({ reason: event.reason }) } },
              { target: '#client.backoff', actions: { type: 'wentOffline', params: ({ event }) => ({ cause: event.reason }) } },
            ],
            // Through `closing`: a transition's actions run after the exits, and leaving `attached` stops the link.
            stop: { target: '#client.attached.closing' },
            // The answer to a `sync`: handled like a login's. Any answer is a hub frame: the silence timers restart.
            answerReceived: [
              { guard: 'syncGranted', target: '.live', actions: { type: 'acceptSync', params: ({ event }) => ({ answer: event.answer as OkAnswer }) } },
              {
                guard: 'syncRefusedRetryable',
                target: '#client.backoff',
                actions: { type: 'wentOffline', params: ({ context, event }) => ({ cause: failureOf(context, event) }) },
              },
              { guard: 'syncRefusedTerminal', target: '#client.stopped', actions: { type: 'stopWith', params: ({ context, event }) => ({ reason: stopReasonOf(context, event) }) } },
              { target: '.live' },
            ],
          },
          initial: 'live',
          states: {
            live: {
              after: {
                heartbeatTimeout: { target: '#client.stopped', actions: { type: 'stopWith', params: { reason: 'heartbeatTimeout' } } },
                // Into a child: `live` is not re-entered, so this fires once per silence (a hub frame re-arms it).
                silenceSync: { guard: 'silenceSyncOn', target: '.syncing' },
              },
              initial: 'quiet',
              states: {
                quiet: { after: { heartbeat: { target: 'quiet', reenter: true, actions: 'sendKeepAlive' } } },
                // The request needs the secret, which never enters the context: ask the application for it, as every attempt does.
                syncing: {
                  invoke: {
                    id: 'credentials',
                    src: 'credentials',
                    input: ({ context }) => ({ attempt: context.attempt, environment: context.settings.environment }),
                    onDone: [
                      {
                        guard: { type: 'sameLogin', params: ({ event }) => ({ credentials: event.output }) },
                        target: 'quiet',
                        actions: { type: 'sendSync', params: ({ event }) => ({ credentials: event.output }) },
                      },
                      { target: 'quiet' },
                    ],
                    onError: { target: 'quiet' },
                  },
                },
              },
            },
          },
        },
      },
    },
    backoff: {
      always: [
        { guard: 'isResume', target: 'stopped', actions: { type: 'stopWith', params: { reason: 'resumeFailed' } } },
        { guard: 'retriesExhausted', target: 'stopped', actions: { type: 'stopWith', params: { reason: 'gaveUp' } } },
      ],
      after: {
        backoff: [
          { guard: 'isRelogon', target: 'resuming', actions: 'countAttempt' },
          { target: 'connecting', actions: 'countAttempt' },
        ],
      },
      on: { stop: { target: 'stopped', actions: { type: 'stopWith', params: { reason: 'closedByUser' } } } },
    },
    stopped: {
      entry: 'announceStopped',
      on: {
        start: { target: 'connecting', actions: 'beginRun' },
        resume: { target: 'connecting', actions: 'beginResume' },
        send: { actions: { type: 'refuseSend', params: ({ event }) => ({ ref: event.ref ?? 0 }) } },
      },
    },
  },
});

/** The engine's machine type (with or without implementations provided). */
export type ClientMachine = typeof clientMachine;
