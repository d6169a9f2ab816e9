/**
 * Theory of operation: the core's invariants, checked after every step at a
 * cost that does not grow with the hub. `afterStep` looks only at the clients
 * the step touched — those named in the input and in the commands — plus the
 * step's own commands:
 *
 * 1. at most one enabled client per profile, through `Profile.enabledClient`;
 * 2. only enabled clients are online;
 * 3. a client's sequence numbers (inSeq, outSeq, outAcked) never go down, and
 *    inSeq moves only in a `messagesReceived` of that client, no further than
 *    the messages of the input reach one after another (a message is handled
 *    only if it arrived, in order);
 * 4. every `deliver` hands over a message the client sent at that seq in this
 *    very input, strictly after the last one handed over for that client (no
 *    repeat, in order), and every registered application message the step
 *    handled is handed over;
 * 5. a client that loses its session other than by transport loss gets a
 *    `close` on its link;
 * 6. `nextDeadline(state)` is after `now`;
 * 7. a refused request changes nothing of the requesting client's record but
 *    `proven` (docs/protocol.md §4.3: nothing changes before all checks
 *    passed): no new client, same status, verifier, contact, profile.
 *
 * `full` runs the core's own `checkInvariants` (linear in the state): the
 * world calls it every K steps and at the end.
 *
 * The checker remembers a little per client (the last sequence numbers, the
 * last handed-over seq). A world with crashes keeps an undo log of those
 * memories since the last group commit: `rollback` forgets what a crash lost,
 * exactly as the hub does. The shrinker runs a fresh checker on each
 * candidate trace, so a violation it reports is a property of core inputs
 * alone.
 */
import {
  checkInvariants,
  clientDialogOf,
  nextDeadline,
  type Answer,
  type DialogMessage,
  type HubCommand,
  type HubInput,
  type HubState,
} from '@dialoghub/core';
import type { Violation } from './violation.js';

/** What the checker remembers of one client (mutable; the undo log restores it). */
interface Memory {
  inSeq: number;
  outSeq: number;
  outAcked: number;
  /** Highest seq handed over (`deliver`). */
  delivered: number;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export class CoreChecker {
  private readonly memory = new Map<number, Memory>();
  /** Undo log: the memories changed since the last commit, with their old values (4 numbers each). */
  private readonly undoOf: Memory[] = [];
  private readonly undoValues: number[] = [];
  /** The clients the current step touched (a handful: a small array beats a Set). */
  private readonly touched: number[] = [];
  /** `nextDeadline` of the state the last `afterStep` checked (the shell arms its timer there). */
  deadline: number | undefined = undefined;
  /** For a `messagesReceived` step: its session's client, and the highest inSeq its messages can reach. */
  private inputClient = -1;
  private reachable = 0;
  /** Record an undo log (a world with crashes); a shrinker's checker does not need one. */
  constructor(private readonly undoable = false) {}

  /** The step's effects are durable: forget how to undo them. */
  commit(): void {
    this.undoOf.length = 0;
    this.undoValues.length = 0;
  }

  /** A crash lost the steps since the last commit: forget what they taught the checker. */
  rollback(): void {
    const v = this.undoValues;
    for (let i = this.undoOf.length - 1; i >= 0; i--) {
      const m = this.undoOf[i]!;
      m.inSeq = v[4 * i]!;
      m.outSeq = v[4 * i + 1]!;
      m.outAcked = v[4 * i + 2]!;
      m.delivered = v[4 * i + 3]!;
    }
    this.commit();
  }

  private memo(clientId: number): Memory {
    let m = this.memory.get(clientId);
    if (m === undefined) this.memory.set(clientId, (m = { inSeq: 0, outSeq: 0, outAcked: 0, delivered: 0 }));
    return m;
  }

  private forget(clientId: number): void {
    const m = this.memory.get(clientId);
    if (m === undefined) return;
    this.saving(m);
    m.inSeq = 0;
    m.outSeq = 0;
    m.outAcked = 0;
    m.delivered = 0;
  }

  /** Called before a memory changes. */
  private saving(m: Memory): void {
    if (!this.undoable) return;
    this.undoOf.push(m);
    this.undoValues.push(m.inSeq, m.outSeq, m.outAcked, m.delivered);
  }

  /**
   * Checks one step: `prev` is the state it was given, `next` and `commands`
   * what it returned, `index` its position in the run's history. Returns the
   * first violation found, or null.
   */
  afterStep(prev: HubState, input: HubInput, next: HubState, commands: readonly HubCommand[], index: number): Violation | null {
    const touched = this.touched;
    touched.length = 0;
    collectInput(prev, input, touched);
    let delivers = 0;
    for (let i = 0; i < commands.length; i++) {
      const c = commands[i]!;
      switch (c.type) {
        case 'reply':
          touch(touched, c.answer.clientId);
          break;
        case 'writeDialog':
          touch(touched, c.clientId);
          break;
        case 'deliver':
          touch(touched, c.clientId);
          delivers++;
          break;
        case 'close':
          if (c.clientId !== null) touch(touched, c.clientId);
          break;
        case 'notify': {
          const e = c.event;
          if (e.type === 'takeover') {
            touch(touched, e.winner);
            touch(touched, e.loser);
          } else if (e.type !== 'profileChanged') {
            touch(touched, e.clientId);
            // A deleted client's id may be registered again, from scratch.
            if (e.type === 'clientDeleted') this.forget(e.clientId);
          }
          break;
        }
        case 'log':
          if (c.clientId !== null) touch(touched, c.clientId);
          break;
        default:
          break;
      }
    }
    this.inputClient = -1;
    if (input.type === 'messagesReceived') {
      const session = prev.sessions.get(input.link);
      if (session !== undefined) {
        let expected = session.dialog.inSeq + 1;
        for (const m of input.messages) if (m.seq === expected) expected++;
        this.inputClient = session.clientId;
        this.reachable = expected - 1;
      }
      const problem = this.handOvers(prev, input.link, input.messages, next, commands, delivers, index);
      if (problem !== null) return problem;
    } else if (delivers > 0) {
      for (const c of commands) {
        if (c.type === 'deliver') {
          return violation('deliverMismatch', c.clientId, next.now, index, `client ${c.clientId}: message ${c.seq} handed over by a ${input.type} step, which carries no client message`);
        }
      }
    }
    for (let i = 0; i < touched.length; i++) {
      const problem = this.client(prev, input, next, commands, touched[i]!, index);
      if (problem !== null) return problem;
    }
    if (input.type === 'requestReceived') {
      const problem = refusalProblem(prev, input, next, commands, index);
      if (problem !== null) return problem;
    }
    const at = nextDeadline(next);
    this.deadline = at;
    if (at !== undefined && at <= next.now) return violation('deadlineNotAfterNow', null, next.now, index, `nextDeadline ${at} is not after now ${next.now}`);
    return null;
  }

  /** Check 4: hand-overs match the input's messages, in order, once; handled application messages are handed over. */
  private handOvers(
    prev: HubState,
    link: number,
    messages: readonly DialogMessage[],
    next: HubState,
    commands: readonly HubCommand[],
    delivers: number,
    index: number,
  ): Violation | null {
    const session = prev.sessions.get(link);
    const now = next.now;
    if (delivers > 0) {
      for (const c of commands) {
        if (c.type !== 'deliver') continue;
        const memory = this.memo(c.clientId);
        const last = memory.delivered;
        if (c.seq <= last) return violation('duplicateDelivery', c.clientId, now, index, `client ${c.clientId}: message ${c.seq} handed over after message ${last} was`);
        let match: DialogMessage | undefined;
        if (session !== undefined && session.clientId === c.clientId) {
          for (const m of messages) {
            if (m.seq === c.seq && m.body.type === 'app') {
              match = m;
              break;
            }
          }
        }
        const body = match?.body;
        if (body === undefined || body.type !== 'app' || body.appType !== c.appType || body.replyTo !== c.replyTo || !sameBytes(body.payload, c.payload)) {
          return violation('deliverMismatch', c.clientId, now, index, `client ${c.clientId}: the message handed over as ${c.seq} is not one the client sent with that seq in this input`);
        }
        this.saving(memory);
        memory.delivered = c.seq;
      }
    }
    if (session === undefined) return null;
    // Only an application message after inSeq can have been handled without a hand-over.
    let candidate = false;
    for (let i = 0; i < messages.length; i++) {
      const m = messages[i]!;
      if (m.body.type === 'app' && m.seq > session.dialog.inSeq) {
        candidate = true;
        break;
      }
    }
    if (!candidate) return null;
    const client = next.clients.get(session.clientId);
    const after = client === undefined ? null : clientDialogOf(next, client);
    if (after === null) return null;
    let expected = session.dialog.inSeq + 1;
    const types = next.config.appMessageTypes;
    for (const m of messages) {
      if (expected > after.inSeq) break;
      if (m.seq !== expected) continue;
      if (m.body.type === 'app' && types.includes(m.body.appType)) {
        let found = false;
        for (const c of commands) {
          if (c.type === 'deliver' && c.clientId === session.clientId && c.seq === m.seq) {
            found = true;
            break;
          }
        }
        if (!found) return violation('undelivered', session.clientId, now, index, `client ${session.clientId}: application message ${m.seq} was handled (inSeq ${after.inSeq}) but never handed over`);
      }
      expected++;
    }
    return null;
  }

  /** Checks 1, 2, 3 and 5 for one touched client. */
  private client(prev: HubState, input: HubInput, next: HubState, commands: readonly HubCommand[], id: number, index: number): Violation | null {
    const now = next.now;
    const client = next.clients.get(id);
    const link = next.online.get(id);
    // 5. a session lost other than by transport loss is closed with a reason.
    const prevLink = prev.online.get(id);
    if (prevLink !== undefined && prevLink !== link && !(input.type === 'connectionClosed' && input.link === prevLink)) {
      let closed = false;
      for (const c of commands) {
        if (c.type === 'close' && c.link === prevLink) {
          closed = true;
          break;
        }
      }
      if (!closed) return violation('silentClose', id, now, index, `client ${id} lost its session on link ${prevLink} without a close`);
    }
    if (client === undefined) {
      return link === undefined ? null : violation('onlyEnabledOnline', id, now, index, `client ${id} is online but does not exist`);
    }
    // 1. one enabled client per profile.
    const profile = next.profiles.get(client.profileId);
    if (client.status === 'enabled' && (profile === undefined || profile.enabledClient !== id)) {
      return violation('oneEnabledPerProfile', id, now, index, `client ${id} is enabled but profile ${client.profileId} names ${profile?.enabledClient ?? 'no profile'} as its enabled client`);
    }
    if (profile !== undefined && profile.enabledClient !== null && profile.enabledClient !== id) {
      const other = next.clients.get(profile.enabledClient);
      if (other === undefined || other.status !== 'enabled') {
        return violation('oneEnabledPerProfile', id, now, index, `profile ${profile.id} names ${profile.enabledClient} as enabled, which it is not`);
      }
    }
    // 2. only enabled clients are online.
    if (link !== undefined && client.status !== 'enabled') return violation('onlyEnabledOnline', id, now, index, `client ${id} is online on link ${link} but ${client.status}`);
    // 3. sequence numbers never go backwards.
    const d = client.dialog ?? (link === undefined ? null : (next.sessions.get(link)?.dialog ?? null));
    if (d === null) return violation('stateInvariant', id, now, index, `client ${id} has no dialog anywhere`);
    const m = this.memo(id);
    if (d.inSeq !== m.inSeq || d.outSeq !== m.outSeq || d.outAcked !== m.outAcked) {
      if (d.inSeq < m.inSeq || d.outSeq < m.outSeq || d.outAcked < m.outAcked) {
        return violation(
          'seqBackwards',
          id,
          now,
          index,
          `client ${id}: (inSeq, outSeq, outAcked) went from (${m.inSeq}, ${m.outSeq}, ${m.outAcked}) to (${d.inSeq}, ${d.outSeq}, ${d.outAcked})`,
        );
      }
      if (d.inSeq !== m.inSeq && (id !== this.inputClient || d.inSeq > this.reachable)) {
        return violation(
          'seqSkipped',
          id,
          now,
          index,
          id === this.inputClient
            ? `client ${id}: inSeq went to ${d.inSeq}, but the input's messages reach only ${this.reachable}`
            : `client ${id}: inSeq went from ${m.inSeq} to ${d.inSeq} in a ${input.type} step, which handles no message of the client`,
        );
      }
      this.saving(m);
      m.inSeq = d.inSeq;
      m.outSeq = d.outSeq;
      m.outAcked = d.outAcked;
    }
    return null;
  }

  /** The core's own whole-state check (linear in the state). */
  full(state: HubState, index: number): Violation | null {
    const problems = checkInvariants(state);
    if (problems.length === 0) return null;
    const m = /client (\d+)/.exec(problems[0]!);
    return {
      kind: 'stateInvariant',
      message: problems.slice(0, 3).join('; ') + (problems.length > 3 ? ` (and ${problems.length - 3} more)` : ''),
      now: state.now,
      step: index,
      clientId: m === null ? null : Number(m[1]),
    };
  }
}

function violation(kind: Violation['kind'], clientId: number | null, now: number, step: number, message: string): Violation {
  return { kind, message, now, step, clientId };
}

/** Check 7: a refused request changes nothing of the requesting client's record (but `proven`). */
function refusalProblem(prev: HubState, input: Extract<HubInput, { type: 'requestReceived' }>, next: HubState, commands: readonly HubCommand[], index: number): Violation | null {
  const r = input.request;
  let answer: Answer | undefined;
  for (const c of commands) {
    if (c.type === 'reply' && c.link === input.link && c.requestId === r.requestId) {
      answer = c.answer;
      break;
    }
  }
  if (answer === undefined || answer.code === 'ok' || answer.code === 'profiles') return null;
  const before = prev.clients.get(r.clientId);
  const after = next.clients.get(r.clientId);
  const changed =
    before === undefined
      ? after !== undefined
      : after === undefined ||
        after.verifier !== before.verifier ||
        after.status !== before.status ||
        after.profileId !== before.profileId ||
        after.regSeq !== before.regSeq ||
        after.registeredAt !== before.registeredAt ||
        after.contact !== before.contact ||
        after.registrationRequestId !== before.registrationRequestId;
  if (!changed) return null;
  return violation(
    'refusalChangedState',
    r.clientId,
    next.now,
    index,
    `client ${r.clientId}: its ${r.kind} was answered ${answer.code}${answer.code === 'rejected' ? ` (${answer.reason})` : ''} but its record changed`,
  );
}

function touch(touched: number[], id: number): void {
  if (touched.indexOf(id) < 0) touched.push(id);
}

/** The clients an input names (through its link's session when it names a link). */
function collectInput(prev: HubState, input: HubInput, out: number[]): void {
  switch (input.type) {
    case 'requestReceived': {
      touch(out, input.request.clientId);
      const s = prev.sessions.get(input.link);
      if (s !== undefined) touch(out, s.clientId);
      return;
    }
    case 'messagesReceived':
    case 'connectionClosed':
    case 'commandFailed': {
      const s = prev.sessions.get(input.link);
      if (s !== undefined) touch(out, s.clientId);
      return;
    }
    case 'appMessageSent':
      if ('clientId' in input.to) touch(out, input.to.clientId);
      else {
        const p = prev.profiles.get(input.to.profileId);
        if (p !== undefined && p.enabledClient !== null) touch(out, p.enabledClient);
      }
      return;
    case 'appMessageHandled':
    case 'statusSet':
    case 'clientKicked':
    case 'clientDeleted':
      touch(out, input.clientId);
      return;
    case 'profileCreated':
    case 'profileRenamed':
    case 'profileRemoved':
    case 'profileModeSet':
    case 'profilePolicySet': {
      const p = prev.profiles.get(input.profileId);
      if (p !== undefined && p.enabledClient !== null) touch(out, p.enabledClient);
      return;
    }
    case 'timerFired':
      return;
    default: {
      const never: never = input;
      throw new Error(`unknown input ${JSON.stringify(never)}`);
    }
  }
}
