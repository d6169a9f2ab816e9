/**
 * Theory of operation: from trace records to the timeline a person reads,
 * as plain data (the page's script only draws it).
 *
 * One lane per client, built from what the core said it did — the commands
 * of each record (the simulator's traces carry them; a journal's records get
 * them from `withCommands`):
 *
 * - status: the `ok` answer to a registration gives the first status,
 *   `statusChanged` events the changes, `clientDeleted` the end of the lane;
 * - online spans: `clientOnline` to `clientOffline` (with its reason, and the
 *   transport's cause from the `connectionLost` log of the same step);
 * - takeovers: the `takeover` event, a marker on the loser's lane and on the
 *   winner's, linked;
 * - losses: `gapDropped` (client→hub messages dropped after a gap),
 *   `outboxFull` (a hub→client message dropped), `connectionLost` (the
 *   transport closed the link, with its cause), `heartbeatTimeout`,
 *   `commandFailed` (a write or close the shell could not carry out);
 * - resends: a `writeDialog` carrying seqs at or below the highest the hub had
 *   already written to that client (hub→client), and `duplicatesDropped`
 *   (the client resent what the hub already had);
 * - rejected requests (`requestRejected`).
 *
 * Hub restarts are vertical lines: where the simulator's header says the hub
 * restarted (`restarts`), and where a run of `connectionClosed` inputs with
 * cause `hubRestarted` appears (the runtime and the simulator close every
 * recovered session so after a restart). The per-lane `connectionLost`
 * markers of a restart are left out: the line says it once.
 *
 * Scale: every client is counted, but only the `maxLanes` busiest get a lane
 * in the page (ranked by takeovers, then losses, resends, status changes and
 * rejections, then activity; ties by id), plus any the caller names. Lanes are
 * ordered by profile then client, so the clients a takeover links sit next to
 * each other. Everything is deterministic: the same records give the same
 * model.
 */
import type { HubCommand, HubEvent, HubInput, TraceRecord } from '@dialoghub/core';

/** What a marker on a lane shows. */
export const MARKER_KINDS = ['takeover', 'gap', 'outboxFull', 'connectionLost', 'heartbeatTimeout', 'commandFailed', 'resend', 'duplicate', 'rejected'] as const;
export type MarkerKind = (typeof MARKER_KINDS)[number];

/** A lane's status; `unknown` until the trace says (a trace that starts from a snapshot). */
export type LaneStatus = 'unknown' | 'enabled' | 'disabled' | 'banned' | 'reset' | 'deleted';

export interface Marker {
  /** Virtual time, ms since the timeline's origin. */
  readonly t: number;
  readonly kind: MarkerKind;
  readonly seq: number;
  /** Short label: the takeover's reason, the loss's cause… */
  readonly label: string;
  /** Details for the tooltip. */
  readonly detail: string;
}

export interface OnlineSpan {
  readonly from: number;
  /** null: still online at the end of the trace. */
  readonly to: number | null;
  readonly link: number;
  readonly via: string;
  /** Why it ended (`replaced`, `connectionLost (reset by peer)`…), or null. */
  readonly reason: string | null;
}

export interface Lane {
  readonly clientId: number;
  profileId: number | null;
  /** Status changes: the status from `t` on, in time order. */
  readonly statuses: { t: number; status: LaneStatus }[];
  readonly online: OnlineSpan[];
  readonly markers: Marker[];
  /** Records that concerned the client. */
  activity: number;
  /** Ranking for the busiest lanes. */
  score: number;
}

/** A takeover: the winner's and the loser's lanes, linked at `t`. */
export interface TakeoverLink {
  readonly t: number;
  readonly seq: number;
  readonly winner: number;
  readonly loser: number;
  readonly reason: string;
  readonly conflict: string;
  readonly profileId: number;
}

export interface HubRestart {
  readonly t: number;
  /** The restart came after this seq. */
  readonly afterSeq: number;
  /** Sessions the restart closed (`connectionClosed` with cause `hubRestarted`). */
  readonly sessionsClosed: number;
}

export interface TimelineModel {
  /** Absolute virtual time of the origin (the first record's `now`). */
  readonly origin: number;
  /** Duration covered, ms. */
  readonly span: number;
  readonly records: number;
  readonly firstSeq: number | null;
  readonly lastSeq: number | null;
  /** Lanes shown, ordered by profile then client. */
  readonly lanes: readonly Lane[];
  /** Clients seen in the whole trace. */
  readonly totalClients: number;
  readonly profileNames: ReadonlyMap<number, string>;
  /** Takeovers between shown lanes. */
  readonly takeovers: readonly TakeoverLink[];
  readonly restarts: readonly HubRestart[];
  /** Counts over the whole trace (shown lanes or not). */
  readonly counts: Readonly<Record<MarkerKind | 'restart' | 'statusChange' | 'login', number>>;
  /** Takeover reasons that occur, sorted. */
  readonly takeoverReasons: readonly string[];
  /** Records whose commands were missing (not drawn beyond their input). */
  readonly withoutCommands: number;
}

export interface TimelineOptions {
  /** Lanes in the page: the busiest clients. Default 500. */
  readonly maxLanes?: number;
  /** Clients that always get a lane (when they occur). */
  readonly clients?: Iterable<number>;
  /** Seqs after which the hub restarted (a simulator trace header's `restarts`). */
  readonly restarts?: Iterable<number>;
  /** The origin of the time axis (default: the first record's `now`). */
  readonly origin?: number;
}

const SCORE: Partial<Record<MarkerKind, number>> = { takeover: 1000, gap: 50, outboxFull: 50, connectionLost: 50, heartbeatTimeout: 50, commandFailed: 50, resend: 30, duplicate: 20, rejected: 20 };

/**
 * Builds the model one record at a time, so a file's records need not all be
 * in memory: `add` each record in seq order, then `finish`.
 */
export class TimelineBuilder {
  private readonly lanes = new Map<number, Lane>();
  private readonly profileNames = new Map<number, string>();
  private readonly linkClient = new Map<number, number>();
  private readonly maxOut = new Map<number, number>();
  private readonly takeovers: TakeoverLink[] = [];
  private readonly restartSeqs: Set<number>;
  private readonly restartsAt = new Map<number, { t: number; closed: number }>();
  private readonly counts: Record<string, number> = { restart: 0, statusChange: 0, login: 0 };
  private readonly reasons = new Set<string>();
  private origin: number | undefined;
  private last = 0;
  private records = 0;
  private firstSeq: number | null = null;
  private lastSeq: number | null = null;
  private withoutCommands = 0;
  /** The seq before the current run of `hubRestarted` closes, or null outside one. */
  private restartRun: number | null = null;
  private pendingRestart: number | null = null;

  constructor(private readonly options: TimelineOptions = {}) {
    this.origin = options.origin;
    this.restartSeqs = new Set(options.restarts ?? []);
    for (const k of MARKER_KINDS) this.counts[k] = 0;
    if (this.restartSeqs.has(0)) this.pendingRestart = 0;
  }

  add(record: TraceRecord): void {
    if (this.origin === undefined) this.origin = record.now;
    const t = record.now - this.origin;
    this.last = Math.max(this.last, t);
    this.records++;
    if (this.firstSeq === null) this.firstSeq = record.seq;
    this.lastSeq = record.seq;
    const input = record.input;
    if (this.pendingRestart !== null) {
      // A restart recorded in the header happened before this record (at its time, the restart's own time is not stored).
      this.restart(this.pendingRestart, t);
      this.pendingRestart = null;
    }
    const isRestartClose = input.type === 'connectionClosed' && input.cause === 'hubRestarted';
    if (isRestartClose) {
      if (this.restartRun === null) this.restartRun = record.seq - 1;
      this.restart(this.restartRun, t).closed++;
    } else this.restartRun = null;
    this.fromInput(input, t, record.seq);
    if (record.commands === undefined) this.withoutCommands++;
    else {
      const touched = new Set<number>();
      let lostCause: Map<number, string> | null = null;
      for (const c of record.commands) {
        if (c.type === 'log' && c.event === 'connectionLost') {
          lostCause ??= new Map();
          lostCause.set(Number(c.detail['link']), String(c.detail['cause']));
        }
        this.fromCommand(c, t, record.seq, touched, lostCause, isRestartClose);
      }
      for (const id of touched) this.lane(id).activity++;
    }
    if (this.restartSeqs.has(record.seq)) this.pendingRestart = record.seq;
  }

  finish(): TimelineModel {
    if (this.pendingRestart !== null) this.restart(this.pendingRestart, this.last);
    const maxLanes = this.options.maxLanes ?? 500;
    const all = [...this.lanes.values()];
    for (const lane of all) lane.score = lane.markers.reduce((s, m) => s + (SCORE[m.kind] ?? 0), 0) + 10 * lane.statuses.length + lane.activity;
    const wanted = new Set(this.options.clients ?? []);
    const ranked = [...all].sort((a, b) => Number(wanted.has(b.clientId)) - Number(wanted.has(a.clientId)) || b.score - a.score || a.clientId - b.clientId);
    const shown = ranked.slice(0, Math.max(maxLanes, [...wanted].filter((id) => this.lanes.has(id)).length));
    shown.sort((a, b) => (a.profileId ?? Number.MAX_SAFE_INTEGER) - (b.profileId ?? Number.MAX_SAFE_INTEGER) || a.clientId - b.clientId);
    const ids = new Set(shown.map((l) => l.clientId));
    const restarts = [...this.restartsAt.entries()].map(([afterSeq, r]) => ({ t: r.t, afterSeq, sessionsClosed: r.closed })).sort((a, b) => a.afterSeq - b.afterSeq);
    return {
      origin: this.origin ?? 0,
      span: this.last,
      records: this.records,
      firstSeq: this.firstSeq,
      lastSeq: this.lastSeq,
      lanes: shown,
      totalClients: this.lanes.size,
      profileNames: this.profileNames,
      takeovers: this.takeovers.filter((k) => ids.has(k.winner) || ids.has(k.loser)),
      restarts,
      counts: { ...this.counts, restart: restarts.length } as TimelineModel['counts'],
      takeoverReasons: [...this.reasons].sort(),
      withoutCommands: this.withoutCommands,
    };
  }

  private restart(afterSeq: number, t: number): { t: number; closed: number } {
    let r = this.restartsAt.get(afterSeq);
    if (r === undefined) {
      r = { t, closed: 0 };
      this.restartsAt.set(afterSeq, r);
    }
    return r;
  }

  private lane(clientId: number): Lane {
    let lane = this.lanes.get(clientId);
    if (lane === undefined) {
      lane = { clientId, profileId: null, statuses: [], online: [], markers: [], activity: 0, score: 0 };
      this.lanes.set(clientId, lane);
    }
    return lane;
  }

  private status(clientId: number, t: number, status: LaneStatus): void {
    const lane = this.lane(clientId);
    const last = lane.statuses[lane.statuses.length - 1];
    if (last?.status === status) return;
    if (last !== undefined && last.t === t) last.status = status;
    else lane.statuses.push({ t, status });
  }

  private mark(clientId: number, m: Marker): void {
    this.lane(clientId).markers.push(m);
    this.counts[m.kind] = (this.counts[m.kind] ?? 0) + 1;
  }

  private fromInput(input: HubInput, t: number, seq: number): void {
    switch (input.type) {
      case 'profileCreated':
      case 'profileRenamed':
        this.profileNames.set(input.profileId, input.name);
        return;
      case 'requestReceived': {
        const r = input.request;
        this.linkClient.set(input.link, r.clientId);
        const lane = this.lane(r.clientId);
        lane.activity++;
        if (r.kind === 'register' && lane.profileId === null) lane.profileId = r.profileId;
        return;
      }
      case 'commandFailed': {
        const client = this.linkClient.get(input.link);
        if (client !== undefined) this.mark(client, { t, kind: 'commandFailed', seq, label: input.command, detail: `${input.command} #${input.commandId} on link ${input.link} failed: ${input.reason}` });
        return;
      }
      case 'messagesReceived':
      case 'connectionClosed':
      case 'timerFired':
      case 'appMessageSent':
      case 'appMessageHandled':
      case 'profileRemoved':
      case 'profileModeSet':
      case 'profilePolicySet':
      case 'statusSet':
      case 'clientKicked':
      case 'clientDeleted':
        return;
      default: {
        const never: never = input;
        return never;
      }
    }
  }

  private fromCommand(c: HubCommand, t: number, seq: number, touched: Set<number>, lostCause: Map<number, string> | null, restartClose: boolean): void {
    switch (c.type) {
      case 'notify':
        return this.fromEvent(c.event, t, seq, touched, lostCause);
      case 'reply':
        if (c.answer.code === 'ok') {
          this.status(c.answer.clientId, t, c.answer.status);
          touched.add(c.answer.clientId);
        }
        return;
      case 'writeDialog': {
        touched.add(c.clientId);
        this.linkClient.set(c.link, c.clientId);
        const max = this.maxOut.get(c.clientId) ?? 0;
        let top = max;
        let resent = 0;
        let lo = Number.MAX_SAFE_INTEGER;
        let hi = 0;
        for (const m of c.messages) {
          if (m.seq === 0) continue;
          if (m.seq <= max) {
            resent++;
            lo = Math.min(lo, m.seq);
            hi = Math.max(hi, m.seq);
          }
          top = Math.max(top, m.seq);
        }
        this.maxOut.set(c.clientId, top);
        if (resent > 0) this.mark(c.clientId, { t, kind: 'resend', seq, label: `${resent}`, detail: `hub resent ${resent} message(s), seq ${lo === hi ? lo : `${lo}–${hi}`} (had written up to ${max}) on link ${c.link}` });
        return;
      }
      case 'log': {
        const id = c.clientId;
        if (id === null) return;
        const d = c.detail;
        switch (c.event) {
          case 'gapDropped':
            return this.mark(id, { t, kind: 'gap', seq, label: String(d['count']), detail: `${String(d['count'])} message(s) dropped after a gap (expected seq ${String(d['expected'])})` });
          case 'duplicatesDropped':
            return this.mark(id, { t, kind: 'duplicate', seq, label: String(d['count']), detail: `client resent ${String(d['count'])} message(s) the hub already had (dropped)` });
          case 'outboxFull':
            return this.mark(id, { t, kind: 'outboxFull', seq, label: String(d['dropped']), detail: `outbox full (${String(d['outbox'])}): dropped ${String(d['dropped'])}` });
          case 'heartbeatTimeout':
            return this.mark(id, { t, kind: 'heartbeatTimeout', seq, label: 'timeout', detail: `no sign of life for ${String(d['silentMs'])} ms on link ${String(d['link'])}` });
          case 'connectionLost':
            if (!restartClose) this.mark(id, { t, kind: 'connectionLost', seq, label: String(d['cause']), detail: `connectionClosed on link ${String(d['link'])}, cause ${String(d['cause'])}` });
            return;
          default:
            return;
        }
      }
      case 'commit':
      case 'close':
      case 'deliver':
      case 'actionResult':
        return;
      default: {
        const never: never = c;
        return never;
      }
    }
  }

  private fromEvent(e: HubEvent, t: number, seq: number, touched: Set<number>, lostCause: Map<number, string> | null): void {
    switch (e.type) {
      case 'clientRegistered':
        this.lane(e.clientId).profileId = e.profileId;
        touched.add(e.clientId);
        return;
      case 'clientOnline': {
        this.counts['login']!++;
        const lane = this.lane(e.clientId);
        closeSpan(lane, t, 'superseded');
        lane.online.push({ from: t, to: null, link: e.link, via: e.via, reason: null });
        this.linkClient.set(e.link, e.clientId);
        touched.add(e.clientId);
        return;
      }
      case 'clientOffline': {
        const cause = e.reason === 'connectionLost' ? lostCause?.get(e.link) : undefined;
        closeSpan(this.lane(e.clientId), t, cause === undefined ? e.reason : `${e.reason} (${cause})`);
        touched.add(e.clientId);
        return;
      }
      case 'takeover': {
        this.reasons.add(e.reason);
        this.takeovers.push({ t, seq, winner: e.winner, loser: e.loser, reason: e.reason, conflict: e.conflict, profileId: e.profileId });
        const same = e.winner === e.loser;
        const detail = same
          ? `${e.reason} (${e.conflict}) in profile ${e.profileId}: client ${e.winner} logged in again on a new link and pushed out its old session`
          : `${e.reason} (${e.conflict}) in profile ${e.profileId}: client ${e.winner} wins over client ${e.loser}`;
        this.mark(e.loser, { t, kind: 'takeover', seq, label: e.reason, detail: same ? detail : `${detail} (this client lost)` });
        if (!same) {
          this.mark(e.winner, { t, kind: 'takeover', seq, label: e.reason, detail: `${detail} (this client won)` });
          this.counts['takeover']!--;
        }
        touched.add(e.winner);
        touched.add(e.loser);
        return;
      }
      case 'statusChanged':
        this.counts['statusChange']!++;
        this.status(e.clientId, t, e.to);
        touched.add(e.clientId);
        return;
      case 'requestRejected':
        this.mark(e.clientId, { t, kind: 'rejected', seq, label: e.reason, detail: `${e.request} rejected: ${e.reason}` });
        touched.add(e.clientId);
        return;
      case 'clientDeleted':
        this.status(e.clientId, t, 'deleted');
        closeSpan(this.lane(e.clientId), t, 'deleted');
        touched.add(e.clientId);
        return;
      case 'profileChanged':
        return;
      default: {
        const never: never = e;
        return never;
      }
    }
  }
}

function closeSpan(lane: Lane, t: number, reason: string): void {
  const last = lane.online[lane.online.length - 1];
  if (last !== undefined && last.to === null) lane.online[lane.online.length - 1] = { ...last, to: t, reason };
}

/** The timeline model of a whole list of records. */
export function buildTimeline(records: Iterable<TraceRecord>, options: TimelineOptions = {}): TimelineModel {
  const b = new TimelineBuilder(options);
  for (const r of records) b.add(r);
  return b.finish();
}
