/**
 * Theory of operation: the working context of one `step`.
 *
 * A `Tx` starts from the state a step was given, replaces the persistent
 * tables it touches (never writing into them), gathers commands in the order
 * they must run, and finally produces the next state. All the shared moves of
 * the protocol live here so that every handler makes them the same way:
 * status changes (checked against the transition table), opening and ending
 * sessions (the dialog state moves between session and client record),
 * queueing hub→client messages in the bounded outbox, and the liveness timers.
 *
 * It must not know about transports: links are opaque numbers.
 */
import type { ResolvedConfig } from './config.js';
import { addDeadline, firstDeadline, firstDeadlineAt, removeDeadline, takeDueSlot } from './deadlines.js';
import { HubUsageError } from './errors.js';
import type { ClientId, CommandId, LinkId, Millis, ProfileId } from './ids.js';
import type { HubCommand, HubEvent, LogDetail, LogLevel } from './commands.js';
import type { DialogMessage, MessageBody } from './messages.js';
import { earliest, makeDialog, makeSession, type Client, type ClientStatus, type DialogState, type OutboundMessage, type Policy, type Profile, type Session } from './model.js';
import { CLOSE_REASON_RECONNECT, type Answer, type CloseReason, type RequestKind } from './requests.js';
import type { HubState } from './state.js';
import { isAllowedTransition, type StatusTrigger } from './transitions.js';

export interface Step {
  /** The hub's next state. The state given to `step` is unchanged. */
  readonly state: HubState;
  /** What the shell must do, in this order. */
  readonly commands: readonly HubCommand[];
}

const reasonForStatus: Readonly<Record<Exclude<ClientStatus, 'enabled'>, CloseReason>> = {
  disabled: 'disabled',
  banned: 'banned',
  reset: 'reset',
};

/** The one `commit` command: commands are immutable data, so every step can share it. */
const COMMIT: HubCommand = Object.freeze({ type: 'commit' });
/** Bodies without fields, shared the same way by every bare ack and every Sync. */
const ACK_BODY: MessageBody = Object.freeze({ type: 'ack' });
const SYNC_BODY: MessageBody = Object.freeze({ type: 'sync' });

export class Tx {
  readonly config: ResolvedConfig;
  profiles: HubState['profiles'];
  clients: HubState['clients'];
  sessions: HubState['sessions'];
  online: HubState['online'];
  deadlines: HubState['deadlines'];
  regSeq: number;
  nextCommandId: number;
  readonly commands: HubCommand[] = [];
  /** Links this step closed: whatever else arrives on them in this step is dropped (allocated on first use). */
  private closing: Set<number> | null = null;
  /**
   * This step's edit token for the persistent tables: nodes the step creates
   * carry it and are written in place by the step's later updates, so a step
   * that updates many entries (a timer step handling many sessions) copies
   * each shared path once. Nothing outside this step ever holds it, and the
   * tables are published only by `finish` (collections/int-map.ts).
   */
  private readonly edit: object = {};

  constructor(
    readonly prev: HubState,
    readonly now: Millis,
  ) {
    this.config = prev.config;
    this.profiles = prev.profiles;
    this.clients = prev.clients;
    this.sessions = prev.sessions;
    this.online = prev.online;
    this.deadlines = prev.deadlines;
    this.regSeq = prev.regSeq;
    this.nextCommandId = prev.nextCommandId;
  }

  // ---- commands ---------------------------------------------------------

  commandId(): CommandId {
    return this.nextCommandId++ as CommandId;
  }

  emit(command: HubCommand): void {
    this.commands.push(command);
  }

  log(level: LogLevel, event: string, clientId: ClientId | null, detail: LogDetail = {}): void {
    this.commands.push({ type: 'log', level, event, clientId, detail });
  }

  notify(event: HubEvent): void {
    this.commands.push({ type: 'notify', event });
  }

  reply(link: LinkId, requestId: number, answer: Answer): void {
    this.commands.push({ type: 'reply', commandId: this.commandId(), link, requestId, answer });
  }

  closeLink(link: LinkId, clientId: ClientId | null, reason: CloseReason): void {
    (this.closing ??= new Set()).add(link);
    this.commands.push({ type: 'close', commandId: this.commandId(), link, clientId, reason, reconnect: CLOSE_REASON_RECONNECT[reason] });
  }

  actionResult(actionId: string, ok: boolean, reason: string | null, message: string): void {
    this.commands.push({ type: 'actionResult', actionId, ok, reason, message });
  }

  /** True when this step already closed `link` (e.g. a heartbeat timeout handled before the input). */
  isClosing(link: LinkId): boolean {
    return this.closing !== null && this.closing.has(link);
  }

  // ---- tables -------------------------------------------------------------

  client(id: ClientId): Client | undefined {
    return this.clients.get(id);
  }

  putClient(client: Client): void {
    this.clients = this.clients.assoc(client.id, client, this.edit);
  }

  profile(id: ProfileId): Profile | undefined {
    return this.profiles.get(id);
  }

  /** Removes a client record (the caller settled its profile and sessions). */
  deleteClient(id: ClientId): void {
    this.clients = this.clients.dissoc(id, this.edit);
  }

  /** Removes a profile record (the caller checked it is empty). */
  deleteProfile(id: ProfileId): void {
    this.profiles = this.profiles.dissoc(id, this.edit);
  }

  putProfile(profile: Profile): void {
    this.profiles = this.profiles.assoc(profile.id, profile, this.edit);
  }

  policyOf(profile: Profile): Policy {
    return profile.policy ?? this.config.policy;
  }

  sessionOfClient(id: ClientId): Session | undefined {
    const link = this.online.get(id);
    return link === undefined ? undefined : this.sessions.get(link);
  }

  putSession(session: Session): void {
    this.sessions = this.sessions.assoc(session.link, session, this.edit);
  }

  // ---- status -------------------------------------------------------------

  /**
   * Changes a client's status, keeping the one-enabled-per-profile index and
   * the only-enabled-online rule: a client leaving `enabled` loses its session
   * and is told why first (B22).
   */
  setStatus(client: Client, to: ClientStatus, trigger: StatusTrigger, cause: 'request' | 'operator', closeReason?: CloseReason): Client {
    const from = client.status;
    if (!isAllowedTransition(from, to, trigger)) {
      throw new HubUsageError('invariantBroken', `status change ${from} -> ${to} by ${trigger} is not in the transition table`, {
        clientId: client.id,
      });
    }
    const profile = this.profile(client.profileId);
    if (profile === undefined) {
      throw new HubUsageError('invariantBroken', `client ${client.id} belongs to missing profile ${client.profileId}`, { clientId: client.id });
    }
    if (to === 'enabled') {
      if (profile.enabledClient !== null && profile.enabledClient !== client.id) {
        throw new HubUsageError('invariantBroken', `profile ${profile.id} already has enabled client ${profile.enabledClient}`, {
          profileId: profile.id,
        });
      }
      this.putProfile({ ...profile, enabledClient: client.id });
    } else if (profile.enabledClient === client.id) {
      this.putProfile({ ...profile, enabledClient: null });
    }
    let updated: Client = { ...client, status: to };
    this.putClient(updated);
    this.notify({ type: 'statusChanged', clientId: client.id, from, to, cause });
    if (to !== 'enabled') {
      const session = this.sessionOfClient(client.id);
      if (session !== undefined) {
        this.endSession(session, closeReason ?? reasonForStatus[to]);
        updated = this.client(client.id)!;
      }
    }
    return updated;
  }

  /** Adds a newly registered, enabled client (the profile must have no enabled client). */
  addClient(client: Client): void {
    const profile = this.profile(client.profileId);
    if (!isAllowedTransition('unregistered', client.status, 'register') || profile === undefined || profile.enabledClient !== null) {
      throw new HubUsageError('invariantBroken', `cannot register client ${client.id} as ${client.status} in profile ${client.profileId}`, {
        clientId: client.id,
      });
    }
    this.putClient(client);
    this.putProfile({ ...profile, enabledClient: client.id, clientCount: profile.clientCount + 1 });
    this.notify({ type: 'clientRegistered', clientId: client.id, profileId: profile.id });
  }

  // ---- sessions -----------------------------------------------------------

  /**
   * Puts `client` online on `link` (it must not be online elsewhere: the
   * caller settled the same-client conflict first). Reuses the session when
   * the client is already online on this very link (a repeated request: B4).
   * Returns the session after the client's `lastReceived` was applied.
   */
  openSession(client: Client, link: LinkId, lastReceived: number): Session {
    const existing = this.sessions.get(link);
    let dialog: DialogState;
    if (existing !== undefined && existing.clientId === client.id) {
      dialog = existing.dialog;
      this.deadlines = removeDeadline(this.deadlines, existing.indexedAt, link, this.edit);
    } else {
      if (client.dialog === null) {
        throw new HubUsageError('invariantBroken', `client ${client.id} has no dialog but no session on link ${link}`, { clientId: client.id });
      }
      dialog = client.dialog;
      this.putClient({ ...client, dialog: null });
      this.online = this.online.assoc(client.id, link, this.edit);
    }
    const d = this.applyAck(dialog, lastReceived, client.id);
    dialog = makeDialog(d.inSeq, d.outSeq, d.outAcked, d.outbox, d.messagesIn, d.messagesOut, this.now, d.unconfirmed);
    const syncAt = (this.now + this.config.syncAfterMs) as Millis;
    const deadAt = (this.now + this.config.deadAfterMs) as Millis;
    const resendAt = existing?.clientId === client.id ? existing.resendAt : null;
    const indexedAt = resendAt !== null && resendAt < syncAt ? resendAt : syncAt;
    const session = makeSession(link, client.id, existing?.since ?? this.now, this.now, syncAt, deadAt, resendAt, indexedAt, dialog);
    this.putSession(session);
    this.deadlines = addDeadline(this.deadlines, indexedAt, link, this.edit);
    return session;
  }

  /**
   * Ends a session: the dialog goes back to the client record (nothing in it
   * is lost, so the client can resume later), and the app is told. When the
   * hub decides (`reason` is a close reason) the peer is told why and the
   * link closed; when the transport lost the link there is nobody to tell.
   */
  endSession(session: Session, reason: CloseReason | 'connectionLost'): void {
    this.sessions = this.sessions.dissoc(session.link, this.edit);
    this.online = this.online.dissoc(session.clientId, this.edit);
    this.deadlines = removeDeadline(this.deadlines, session.indexedAt, session.link, this.edit);
    const client = this.client(session.clientId);
    if (client !== undefined) this.putClient({ ...client, dialog: session.dialog });
    if (reason !== 'connectionLost') this.closeLink(session.link, session.clientId, reason);
    this.notify({ type: 'clientOffline', clientId: session.clientId, link: session.link, reason });
  }

  /**
   * The session's dialog as of hearing from the client now (`lastSeen` is
   * `now`). {@link Tx.heard} then completes the session with it.
   */
  heardDialog(session: Session): DialogState {
    const d = session.dialog;
    if (session.lastHeard === this.now && d.lastSeen === this.now) return d;
    return makeDialog(d.inSeq, d.outSeq, d.outAcked, d.outbox, d.messagesIn, d.messagesOut, this.now, d.unconfirmed);
  }

  /**
   * Records that the client was heard from: pushes its real deadlines later
   * (the index stays lazy). `dialog` is the session's dialog by now, built
   * from {@link Tx.heardDialog}, or null when it is unchanged (then the
   * session itself is returned when it was already heard at `now`).
   */
  heard(session: Session, dialog: DialogState | null = null): Session {
    if (session.lastHeard === this.now && session.dialog.lastSeen === this.now) {
      if (dialog === null) return session;
      const s = session;
      return makeSession(s.link, s.clientId, s.since, s.lastHeard, s.syncAt, s.deadAt, s.resendAt, s.indexedAt, dialog);
    }
    return makeSession(
      session.link,
      session.clientId,
      session.since,
      this.now,
      (this.now + this.config.syncAfterMs) as Millis,
      (this.now + this.config.deadAfterMs) as Millis,
      session.resendAt,
      session.indexedAt,
      dialog ?? this.heardDialog(session),
    );
  }

  /** Moves a session's index entry so that it is not later than `at`. */
  refile(session: Session, at: Millis): Session {
    if (session.indexedAt <= at) return session;
    this.deadlines = addDeadline(removeDeadline(this.deadlines, session.indexedAt, session.link, this.edit), at, session.link, this.edit);
    const s = session;
    return makeSession(s.link, s.clientId, s.since, s.lastHeard, s.syncAt, s.deadAt, s.resendAt, at, s.dialog);
  }

  // ---- dialog -------------------------------------------------------------

  /**
   * Applies an acknowledgement of hub→client messages: trims the outbox. An
   * ack beyond what was sent is clamped and logged (the peer is confused, the
   * hub is not).
   */
  applyAck(dialog: DialogState, ack: number, clientId: ClientId): DialogState {
    let upTo = ack;
    if (upTo > dialog.outSeq) {
      this.log('warn', 'ackBeyondSent', clientId, { ack, lastSent: dialog.outSeq });
      upTo = dialog.outSeq;
    }
    if (upTo <= dialog.outAcked) return dialog;
    let drop = 0;
    while (drop < dialog.outbox.length && dialog.outbox[drop]!.seq <= upTo) drop++;
    const d = dialog;
    return makeDialog(d.inSeq, d.outSeq, upTo, d.outbox.slice(drop), d.messagesIn, d.messagesOut, d.lastSeen, d.unconfirmed);
  }

  /**
   * Assigns the next hub→client sequence number to `body` and keeps it in the
   * outbox until acknowledged. Returns undefined when the outbox is full.
   */
  enqueue(dialog: DialogState, body: MessageBody): { dialog: DialogState; message: OutboundMessage } | undefined {
    if (dialog.outbox.length >= this.config.maxOutbox) return undefined;
    const message: OutboundMessage = { seq: dialog.outSeq + 1, body };
    const d = dialog;
    return {
      dialog: makeDialog(d.inSeq, message.seq, d.outAcked, [...d.outbox, message], d.messagesIn, d.messagesOut + 1, d.lastSeen, d.unconfirmed),
      message,
    };
  }

  /** Sends messages on a session's link, each carrying the hub's current ack. */
  write(session: Session, messages: readonly OutboundMessage[]): void {
    if (messages.length === 0) return;
    const ack = session.dialog.inSeq;
    const wire: DialogMessage[] = messages.map((m) => ({ seq: m.seq, ack, body: m.body }));
    this.emit({ type: 'writeDialog', commandId: this.commandId(), link: session.link, clientId: session.clientId, messages: wire });
  }

  /** Sends a bare acknowledgement of everything handled so far. */
  writeAck(session: Session): void {
    this.emit({
      type: 'writeDialog',
      commandId: this.commandId(),
      link: session.link,
      clientId: session.clientId,
      messages: [{ seq: 0, ack: session.dialog.inSeq, body: ACK_BODY }],
    });
  }

  // ---- liveness -------------------------------------------------------------

  /**
   * Handles every session whose indexed deadline is due at `now`, in
   * (deadline, link) order. Runs at the start of every step, so a late timer
   * never leaves a deadline in the past.
   */
  runDue(): void {
    // Fast path: the cached earliest deadline is not due (most steps).
    if (this.prev.nextDue === null || this.prev.nextDue > this.now) return;
    for (;;) {
      // A whole due millisecond at once (the usual case): its links in order, the slot removed once.
      const due = takeDueSlot(this.deadlines, this.now, this.edit);
      if (due !== undefined) {
        this.deadlines = due.index;
        // Handling a session files it again strictly after `now`, so never into the slot being walked.
        due.links.forEach((_, link) => this.handleDue(link as LinkId, due.at));
        continue;
      }
      const first = firstDeadline(this.deadlines);
      if (first === undefined || first.at > this.now) return;
      this.deadlines = removeDeadline(this.deadlines, first.at, first.link, this.edit);
      this.handleDue(first.link, first.at);
    }
  }

  /** Handles one session whose index entry `(at, link)` was due and has just been removed from the index. */
  private handleDue(link: LinkId, at: Millis): void {
    const session = this.sessions.get(link);
    if (session === undefined || session.indexedAt !== at) {
      throw new HubUsageError('invariantBroken', `deadline index entry ${at}/${link} has no matching session`);
    }
    if (this.now >= session.deadAt) {
      this.log('info', 'heartbeatTimeout', session.clientId, { link: session.link, silentMs: this.now - session.lastHeard });
      this.endSession(session, 'heartbeatTimeout');
      return;
    }
    // The session is rebuilt once, with whatever the Sync or resend changed and its new index key.
    const s = session;
    let syncAt = s.syncAt;
    let resendAt = s.resendAt;
    let dialog = s.dialog;
    if (this.now >= syncAt) {
      // A Sync resends the outbox too, so it also settles a pending resend.
      dialog = this.sendSync(s);
      syncAt = (this.now + this.config.syncEveryMs) as Millis;
      resendAt = null;
    } else if (resendAt !== null && this.now >= resendAt) {
      this.write(s, dialog.outbox);
      resendAt = null;
    }
    const refiled = earliest(syncAt, s.deadAt, resendAt);
    this.deadlines = addDeadline(this.deadlines, refiled, s.link, this.edit);
    this.putSession(makeSession(s.link, s.clientId, s.since, s.lastHeard, syncAt, s.deadAt, resendAt, refiled, dialog));
  }

  /** Sends a Sync (and resends what is still unacknowledged); returns the dialog with the Sync queued. */
  private sendSync(session: Session): DialogState {
    const resend = session.dialog.outbox;
    const queued = this.enqueue(session.dialog, SYNC_BODY);
    if (queued === undefined) {
      this.log('warn', 'outboxFull', session.clientId, { outbox: session.dialog.outbox.length, dropped: 'sync' });
      this.write(session, resend);
      return session.dialog;
    }
    this.write(session, [...resend, queued.message]);
    return queued.dialog;
  }

  // ---- rejections -------------------------------------------------------------

  /** Tells a requester no, and why, on its link. */
  refuse(link: LinkId, requestId: number, clientId: ClientId, kind: RequestKind, answer: Answer, close: CloseReason | null): void {
    this.reply(link, requestId, answer);
    const reason = answer.code === 'rejected' ? answer.reason : answer.code;
    if (reason !== 'ok' && reason !== 'profiles') this.notify({ type: 'requestRejected', clientId, request: kind, reason });
    if (close !== null) this.closeAny(link, clientId, close);
  }

  /** Closes a link; if it carries a session, the session ends with it (no session outlives its link). */
  closeAny(link: LinkId, clientId: ClientId | null, reason: CloseReason): void {
    const session = this.sessions.get(link);
    if (session !== undefined) this.endSession(session, reason);
    else this.closeLink(link, clientId, reason);
  }

  // ---- result -------------------------------------------------------------

  finish(): Step {
    const p = this.prev;
    const changed =
      this.profiles !== p.profiles ||
      this.clients !== p.clients ||
      this.sessions !== p.sessions ||
      this.regSeq !== p.regSeq ||
      this.nextCommandId !== p.nextCommandId;
    const state: HubState =
      !changed && this.now === p.now
        ? p
        : Object.freeze({
            config: p.config,
            now: this.now,
            nextCommandId: this.nextCommandId,
            regSeq: this.regSeq,
            profiles: this.profiles,
            clients: this.clients,
            sessions: this.sessions,
            online: this.online,
            deadlines: this.deadlines,
            nextDue: this.deadlines === p.deadlines ? p.nextDue : (firstDeadlineAt(this.deadlines) ?? null),
          });
    // `commit` leads exactly when the step changed the hub's durable state, even
    // with nothing else to do: the shell then knows the input must be journaled.
    if (changed) this.commands.unshift(COMMIT);
    const commands = this.commands;
    return { state, commands };
  }
}
