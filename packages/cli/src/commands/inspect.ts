/**
 * Theory of operation: `dialoghub inspect DATA_DIR` — what a hub's data
 * directory holds, recovered the way the hub recovers it (the newest valid
 * snapshot, then the journal after it, through the core), but strictly
 * read-only: the lock is never taken (a running hub may hold it), a torn tail
 * is reported rather than truncated, nothing is created or deleted.
 *
 * The summary is the state as of the last durable record: profiles, clients
 * and their statuses, the sessions that were open, the clients that were
 * not, the journal's files, and whatever the invariant check found. A hub
 * that starts on the directory ends those sessions first (`hubRestarted`).
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { CLIENT_STATUSES, checkInvariants, clientDialogOf, deserialize, type ClientStatus, type HubState, type ResolvedConfig } from '@dialoghub/core';
import { journalStats, LOCK_FILE, readLatestSnapshot, type JournalStats } from '@dialoghub/runtime';
import { integer } from '../args.js';
import type { CliCommand, CommandContext } from '../command.js';
import { InputError, readingInput } from '../errors.js';
import { bytes, counts, num, pairs, table, time } from '../output/table.js';
import { replayPath } from './replay-loop.js';

/** Rows per list in the text output unless --limit says otherwise. */
export const DEFAULT_LIMIT = 20;

export interface InspectCommandOptions {
  readonly dir: string;
  /** Rows per list in the text output; 0 shows all. Default 20. */
  readonly limit?: number;
}

/** Who holds the directory's lock, as the `LOCK` file says (its token is left out). */
export interface LockInfo {
  readonly pid: number | null;
  readonly host: string | null;
  readonly since: string | null;
}

export interface ProfileRow {
  readonly id: number;
  readonly name: string;
  readonly mode: string;
  /** The profile's own policy, or null when it follows the hub's. */
  readonly policy: string | null;
  readonly enabledClient: number | null;
  readonly clients: number;
}

export interface ClientRow {
  readonly id: number;
  readonly profileId: number;
  readonly status: ClientStatus;
  readonly online: boolean;
  /** The link of its session while online. */
  readonly link: number | null;
  readonly registeredAt: number;
  readonly name: string;
  readonly phone: string;
  readonly email: string;
  readonly proven: boolean;
  /** When the hub last heard from it (hub clock), or null. */
  readonly lastSeen: number | null;
  readonly inSeq: number;
  readonly outSeq: number;
  readonly outAcked: number;
  readonly messagesIn: number;
  readonly messagesOut: number;
  /** Hub→client messages not yet acknowledged. */
  readonly outbox: number;
  /** Application messages handed over and not confirmed. */
  readonly unconfirmed: number;
}

export interface SessionRow {
  readonly link: number;
  readonly clientId: number;
  readonly since: number;
  readonly lastHeard: number;
  readonly syncAt: number;
  readonly deadAt: number;
  readonly resendAt: number | null;
  readonly outbox: number;
}

export interface OfflineRow {
  readonly clientId: number;
  readonly profileId: number;
  readonly status: ClientStatus;
  readonly lastSeen: number | null;
  readonly outbox: number;
  readonly unconfirmed: number;
}

export interface InspectSummary {
  readonly dir: string;
  /** Null when no `LOCK` file: no hub holds the directory. */
  readonly lock: LockInfo | null;
  readonly hub: {
    readonly createdAt: number | null;
    /** The hub clock after the last record. */
    readonly now: number;
    /** Seq of the last durable record (the snapshot's when the journal holds none after it). */
    readonly seq: number;
    readonly snapshotSeq: number | null;
    /** Records replayed on top of the snapshot. */
    readonly replayed: number;
    readonly config: ResolvedConfig;
  };
  readonly journal: JournalStats;
  readonly counts: {
    readonly profiles: number;
    readonly clients: number;
    readonly online: number;
    readonly offline: number;
    readonly statuses: Readonly<Record<ClientStatus, number>>;
  };
  readonly profiles: readonly ProfileRow[];
  readonly clients: readonly ClientRow[];
  readonly sessions: readonly SessionRow[];
  readonly offline: readonly OfflineRow[];
  /** Problems `checkInvariants` found in the recovered state (empty when it holds). */
  readonly invariants: readonly string[];
  readonly notes: readonly string[];
}

async function readLock(dir: string): Promise<LockInfo | null> {
  let text: string;
  try {
    text = await readFile(join(dir, LOCK_FILE), 'utf8');
  } catch {
    return null;
  }
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    // An unreadable lock still means a hub may hold the directory.
  }
  const o = (typeof json === 'object' && json !== null ? json : {}) as Record<string, unknown>;
  return {
    pid: typeof o['pid'] === 'number' ? o['pid'] : null,
    host: typeof o['host'] === 'string' ? o['host'] : null,
    since: typeof o['since'] === 'string' ? o['since'] : null,
  };
}

interface Recovered {
  readonly state: HubState;
  readonly seq: number;
  readonly replayed: number;
  readonly createdAt: number | null;
  readonly notes: readonly string[];
  readonly problems: readonly string[];
}

/** Snapshot plus journal, read-only (see the module comment). */
async function recover(dir: string, stats: JournalStats, ctx: CommandContext | undefined): Promise<Recovered> {
  if (stats.snapshotFiles > 0 && stats.snapshot === null) {
    throw new InputError(`${dir}: none of the ${stats.snapshotFiles} snapshot file(s) is valid; the hub would refuse to start from it`);
  }
  if (stats.segments.length === 0) {
    const snap = await readingInput(dir, () => readLatestSnapshot(dir));
    if (snap === null) throw new InputError(`${dir}: not a dialoghub data directory (no snapshot-<seq>.dhs or journal-<seq>.dhj)`);
    const restored = deserialize(snap.bytes, { verify: false });
    if (!restored.ok) throw new InputError(`${join(dir, `snapshot-${snap.seq}.dhs`)}: the snapshot does not restore: ${restored.error.message}`);
    return { state: restored.value, seq: snap.seq, replayed: 0, createdAt: snap.header.hubCreatedAt ?? null, notes: [], problems: checkInvariants(restored.value) };
  }
  const report = await replayPath(dir, { invariantsEvery: 0, compareCommands: false, contextSize: 0 }, ctx);
  if (report.error !== undefined) throw new InputError(`${dir}: the journal does not replay: ${report.error.message}`);
  const createdAt = report.header['hubCreatedAt'];
  return {
    state: report.state,
    seq: report.lastSeq ?? stats.snapshot?.seq ?? 0,
    replayed: report.inputs,
    createdAt: typeof createdAt === 'number' ? createdAt : null,
    notes: report.notes,
    problems: report.invariantViolations.flatMap((v) => v.problems),
  };
}

/** Summarises a recovered state (pure: tests call it on any state). */
export function summariseState(state: HubState): Pick<InspectSummary, 'counts' | 'profiles' | 'clients' | 'sessions' | 'offline'> {
  const statuses = Object.fromEntries(CLIENT_STATUSES.map((s) => [s, 0])) as Record<ClientStatus, number>;
  const profiles: ProfileRow[] = [];
  for (const p of state.profiles.values()) {
    profiles.push({ id: p.id, name: p.name, mode: p.mode, policy: p.policy, enabledClient: p.enabledClient, clients: p.clientCount });
  }
  const clients: ClientRow[] = [];
  const offline: OfflineRow[] = [];
  for (const c of state.clients.values()) {
    statuses[c.status]++;
    const link = state.online.get(c.id) ?? null;
    const d = clientDialogOf(state, c);
    const row: ClientRow = {
      id: c.id,
      profileId: c.profileId,
      status: c.status,
      online: link !== null,
      link,
      registeredAt: c.registeredAt,
      name: c.contact.name,
      phone: c.contact.phone,
      email: c.contact.email,
      proven: c.proven,
      lastSeen: d?.lastSeen ?? null,
      inSeq: d?.inSeq ?? 0,
      outSeq: d?.outSeq ?? 0,
      outAcked: d?.outAcked ?? 0,
      messagesIn: d?.messagesIn ?? 0,
      messagesOut: d?.messagesOut ?? 0,
      outbox: d?.outbox.length ?? 0,
      unconfirmed: d?.unconfirmed.length ?? 0,
    };
    clients.push(row);
    if (link === null) offline.push({ clientId: c.id, profileId: c.profileId, status: c.status, lastSeen: row.lastSeen, outbox: row.outbox, unconfirmed: row.unconfirmed });
  }
  const sessions: SessionRow[] = [];
  for (const s of state.sessions.values()) {
    sessions.push({ link: s.link, clientId: s.clientId, since: s.since, lastHeard: s.lastHeard, syncAt: s.syncAt, deadAt: s.deadAt, resendAt: s.resendAt, outbox: s.dialog.outbox.length });
  }
  return {
    counts: { profiles: profiles.length, clients: clients.length, online: sessions.length, offline: offline.length, statuses },
    profiles,
    clients,
    sessions,
    offline,
  };
}

/** Recovers the data directory's state read-only and summarises it. */
export async function runInspect(options: InspectCommandOptions, ctx?: CommandContext): Promise<InspectSummary> {
  const dir = options.dir;
  const s = await readingInput(dir, () => stat(dir));
  if (!s.isDirectory()) throw new InputError(`${dir}: not a directory (inspect reads a hub's data directory; replay reads a single file)`);
  const stats = await readingInput(dir, () => journalStats(dir));
  if (stats.segments.length === 0 && stats.snapshotFiles === 0) {
    throw new InputError(`${dir}: not a dialoghub data directory (no snapshot-<seq>.dhs or journal-<seq>.dhj)`);
  }
  const lock = await readLock(dir);
  const r = await recover(dir, stats, ctx);
  const notes = [...r.notes];
  const torn = stats.segments.filter((g) => g.torn !== null);
  for (const g of torn) notes.push(`${g.file} ends in a torn tail of ${g.torn!.bytes} byte(s) at offset ${g.torn!.offset}: never acknowledged; the hub drops it on its next start`);
  const summary = summariseState(r.state);
  if (summary.sessions.length > 0 && lock === null) notes.push(`the ${summary.sessions.length} session(s) are as of the last record; the next hub to start here ends them (hubRestarted)`);
  return {
    dir,
    lock,
    hub: { createdAt: r.createdAt, now: r.state.now, seq: r.seq, snapshotSeq: stats.snapshot?.seq ?? null, replayed: r.replayed, config: r.state.config },
    journal: stats,
    ...summary,
    invariants: r.problems,
    notes,
  };
}

function limited<T>(rows: readonly T[], limit: number): { shown: readonly T[]; more: string | null } {
  if (limit <= 0 || rows.length <= limit) return { shown: rows, more: null };
  return { shown: rows.slice(0, limit), more: `  … ${num(rows.length - limit)} more (--limit 0 shows all, --json gives everything)` };
}

/** The summary as tables; each list shows its first `limit` rows (0: all). */
export function renderInspect(r: InspectSummary, limit = DEFAULT_LIMIT): string {
  const out: string[] = [];
  const c = r.hub.config;
  out.push(`data directory ${r.dir}`);
  out.push(
    pairs([
      // The LOCK file names its owner; whether that process still lives is the runtime's to judge (a stale lock is taken over).
      ['lock', r.lock === null ? 'none (no hub holds the directory)' : `LOCK of pid ${r.lock.pid ?? '?'} on ${r.lock.host ?? '?'} since ${r.lock.since ?? '?'}`],
      ['hub created', time(r.hub.createdAt)],
      ['hub clock', time(r.hub.now)],
      ['last record', `seq ${r.hub.seq} (${num(r.hub.replayed)} replayed after ${r.hub.snapshotSeq === null ? 'no snapshot' : `snapshot ${r.hub.snapshotSeq}`})`],
      ['policy', c.policy],
      ['timings', `sync after ${num(c.syncAfterMs)} ms, every ${num(c.syncEveryMs)} ms, dead after ${num(c.deadAfterMs)} ms`],
      ['app message types', c.appMessageTypes.length === 0 ? '-' : c.appMessageTypes.join(', ')],
      ['profiles', r.counts.profiles],
      ['clients', `${num(r.counts.clients)} (${counts(r.counts.statuses)})`],
      ['online', r.counts.online],
      ['offline', r.counts.offline],
      ['invariants', r.invariants.length === 0 ? 'hold' : `${r.invariants.length} problem(s)`],
    ]),
  );

  const j = r.journal;
  out.push('', `journal: ${num(j.records)} record(s) in ${j.segments.length} segment(s), ${bytes(j.bytes)} with snapshots; snapshot ${j.snapshot === null ? 'none' : `${j.snapshot.file} (${bytes(j.snapshot.bytes)})`}`);
  if (j.segments.length > 0) {
    out.push(table(['segment', 'first seq', 'last seq', 'records', 'bytes', 'torn tail'], j.segments.map((g) => [g.file, g.firstSeq, g.lastSeq, g.records, g.bytes, g.torn === null ? '-' : `${g.torn.bytes} B at ${g.torn.offset}`])));
  }

  const p = limited(r.profiles, limit);
  out.push('', `profiles: ${num(r.profiles.length)}`);
  if (r.profiles.length > 0) {
    out.push(table(['id', 'name', 'mode', 'policy', 'enabled client', 'clients'], p.shown.map((x) => [x.id, x.name, x.mode, x.policy ?? `${c.policy} (hub)`, x.enabledClient, x.clients])));
  }
  if (p.more !== null) out.push(p.more);

  const cl = limited(r.clients, limit);
  out.push('', `clients: ${num(r.clients.length)}`);
  if (r.clients.length > 0) {
    out.push(
      table(
        ['id', 'profile', 'status', 'online', 'name', 'registered', 'last seen', 'in seq', 'out seq', 'acked', 'outbox'],
        cl.shown.map((x) => [x.id, x.profileId, x.status, x.online ? `link ${x.link}` : 'no', x.name, time(x.registeredAt), time(x.lastSeen), x.inSeq, x.outSeq, x.outAcked, x.outbox]),
      ),
    );
  }
  if (cl.more !== null) out.push(cl.more);

  const se = limited(r.sessions, limit);
  out.push('', `sessions: ${num(r.sessions.length)}`);
  if (r.sessions.length > 0) {
    out.push(table(['link', 'client', 'since', 'last heard', 'sync at', 'dead at', 'outbox'], se.shown.map((x) => [x.link, x.clientId, time(x.since), time(x.lastHeard), time(x.syncAt), time(x.deadAt), x.outbox])));
  }
  if (se.more !== null) out.push(se.more);

  const of = limited(r.offline, limit);
  out.push('', `offline clients: ${num(r.offline.length)}`);
  if (r.offline.length > 0) {
    out.push(table(['client', 'profile', 'status', 'last seen', 'outbox', 'unconfirmed'], of.shown.map((x) => [x.clientId, x.profileId, x.status, time(x.lastSeen), x.outbox, x.unconfirmed])));
  }
  if (of.more !== null) out.push(of.more);

  if (r.invariants.length > 0) {
    out.push('', 'invariants broken:');
    for (const line of r.invariants.slice(0, 20)) out.push(`  - ${line}`);
    if (r.invariants.length > 20) out.push(`  … ${r.invariants.length - 20} more`);
  }
  if (r.notes.length > 0) {
    out.push('', 'notes:');
    for (const n of r.notes) out.push(`  - ${n}`);
  }
  return out.join('\n');
}

export const inspectCommand: CliCommand<InspectCommandOptions, InspectSummary> = {
  name: 'inspect',
  configure(command: Command): void {
    command
      .description("recover a hub's data directory read-only (snapshot + journal) and show profiles, clients, statuses, sessions and journal stats")
      .argument('<dir>', "the hub's data directory (default name .dialoghub)")
      .option('--limit <n>', `rows per list in the text output; 0 shows all (default ${DEFAULT_LIMIT})`)
      .option('--json', 'print the whole summary as one JSON object');
  },
  parse: (args, o) => ({ dir: args[0]!, limit: o['limit'] === undefined ? DEFAULT_LIMIT : integer(o['limit'], '--limit', 0) }),
  run: runInspect,
  render: (r, p) => renderInspect(r, p.limit ?? DEFAULT_LIMIT),
  json: (r) => r,
  exitCode: () => 0,
};
