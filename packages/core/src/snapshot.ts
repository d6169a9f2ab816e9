/**
 * Theory of operation: a snapshot is the whole hub state as bytes, so that a
 * shell can persist it and later continue exactly where it left off: a
 * snapshot plus the inputs after it reproduce the state (and every command)
 * exactly. Layout (docs/trace-format.md §Snapshot): a magic and version, the
 * resolved config as JSON, the counters, then the profiles, clients and
 * sessions tables in ascending id order. The `online` and `deadlines` indexes
 * are rebuilt, not stored. Outboxes and unconfirmed hand-overs are stored as
 * dialog frames of the wire codec, so message bodies have one encoding only.
 *
 * `deserialize` never throws on bad bytes: it returns a result, accepts only
 * the one byte form `serialize` writes for a state (exact config text, ids
 * ascending, 0/1 flags, environments in the wire's form), and by default
 * checks every invariant of the restored state (a corrupt or forged snapshot
 * that decodes but breaks an invariant is refused).
 *
 * `serializeInSlices` writes the same bytes a slice (of table entries or of
 * bytes) at a time, so a shell can snapshot a large hub without stopping: the per-entry
 * writers are shared, only the walk differs (`forEach` in one piece,
 * `forEachFrom` resumed after the last key in slices).
 */
import { IntMap } from './collections/int-map.js';
import { resolveConfig, type HubConfig } from './config.js';
import { hexOf } from './credentials.js';
import { addDeadline, emptyDeadlines, firstDeadline } from './deadlines.js';
import { HubUsageError } from './errors.js';
import type { ClientId, LinkId, Millis, ProfileId } from './ids.js';
import { checkInvariants } from './invariants.js';
import type { DialogMessage } from './messages.js';
import {
  CLIENT_STATUSES,
  EMPTY_DIALOG,
  MANAGEMENT_MODES,
  POLICIES,
  makeDialog,
  makeSession,
  type Client,
  type DialogState,
  type EnvironmentEntry,
  type OutboundMessage,
  type PendingDelivery,
  type Profile,
  type Session,
} from './model.js';
import { ByteReader, ByteWriter } from './protocol/bytes.js';
// Environments have the wire's form (sorted by UTF-8 bytes, unique keys, "__proto__" an ordinary key).
import { decodeFrame, encodeFrame, readEnvironment, writeEnvironment } from './protocol/codec.js';
import { err, ok, type Result } from './result.js';
import type { HubState } from './state.js';

const MAGIC = [0x44, 0x48, 0x53, 0x4e]; // "DHSN"
/** Snapshot format version; bump on any layout change and keep reading older ones. */
export const SNAPSHOT_VERSION = 1;

export interface SnapshotError {
  readonly code: 'badMagic' | 'badVersion' | 'corrupt' | 'inconsistent';
  readonly message: string;
}

const NO_LIMIT = 0x7fffffff;
const FRAME_LIMITS = { maxFrameBytes: NO_LIMIT, maxTextBytes: NO_LIMIT, maxMessages: NO_LIMIT, maxPayloadBytes: NO_LIMIT, maxEnvironmentEntries: NO_LIMIT, maxProfiles: NO_LIMIT };

// ---- writing ------------------------------------------------------------------

function writeDialog(w: ByteWriter, clientId: number, d: DialogState): void {
  w.varuint(d.inSeq);
  w.varuint(d.outSeq);
  w.varuint(d.outAcked);
  w.varuint(d.messagesIn);
  w.varuint(d.messagesOut);
  w.u8(d.lastSeen === null ? 0 : 1);
  if (d.lastSeen !== null) w.i64(d.lastSeen);
  // Most dialogs have nothing pending: an empty list is a zero length, with nothing built for it.
  if (d.outbox.length === 0) w.varuint(0);
  else w.bytes(asFrame(clientId, d.outbox.map(outboxMessage)));
  if (d.unconfirmed.length === 0) w.varuint(0);
  else w.bytes(asFrame(clientId, d.unconfirmed.map(deliveryMessage)));
}

function asFrame(clientId: number, messages: DialogMessage[]): Uint8Array {
  return encodeFrame({ kind: 'dialog', clientId: clientId as ClientId, messages });
}

function outboxMessage(m: OutboundMessage): DialogMessage {
  return { seq: m.seq, ack: 0, body: m.body };
}

function deliveryMessage(u: PendingDelivery): DialogMessage {
  return { seq: u.seq, ack: 0, body: { type: 'app', appType: u.appType, payload: u.payload, replyTo: u.replyTo } };
}

/** The value of one lower-case or upper-case hex digit's character code (verifiers are lower-case hex). */
function nibble(code: number): number {
  return code <= 57 ? code - 48 : (code | 32) - 87;
}

/** Reused by `hexToBytes` for verifiers of the usual 32 bytes (the writer copies what it is given). */
const VERIFIER_SCRATCH = new Uint8Array(32);

/** The bytes of a hex string; the result is only valid until the next call. */
function hexToBytes(hex: string): Uint8Array {
  const out = hex.length === 64 ? VERIFIER_SCRATCH : new Uint8Array(hex.length >>> 1);
  for (let i = 0; i < out.length; i++) out[i] = (nibble(hex.charCodeAt(2 * i)) << 4) | nibble(hex.charCodeAt(2 * i + 1));
  return out;
}


/**
 * The state as bytes. Call it whenever the shell wants a restart point; the
 * bytes stand alone (they carry the config). Cost: linear in the state's size.
 * The result may be a view of a somewhat larger buffer (up to a third more,
 * to spare a large hub one more copy): whoever reads `.buffer` must honour
 * `byteOffset` and `byteLength`, as Node's file and socket writes do.
 * {@link serializeInSlices} gives the same bytes a slice at a time.
 */
export function serialize(state: HubState): Uint8Array {
  const w = headerOf(state);
  w.varuint(state.profiles.size);
  state.profiles.forEach((p) => writeProfile(w, p));
  w.varuint(state.clients.size);
  state.clients.forEach((c) => writeClient(w, c));
  w.varuint(state.sessions.size);
  state.sessions.forEach((s) => writeSession(w, s));
  return w.take();
}

/** How much {@link serializeInSlices} writes per `next()`: whichever limit comes first. */
export interface SliceLimits {
  /** Table entries (profiles, clients, sessions) per slice: a positive integer or `Infinity`. Default 4096. */
  readonly entries?: number;
  /** Bytes per slice, checked after each entry: a positive integer or `Infinity`. Default 1 MiB. */
  readonly bytes?: number;
}

/**
 * `serialize`, a slice at a time, for a shell that must not stop for the
 * whole of a large hub (a million clients take seconds): each `next()` writes
 * table entries until one of `limits` is reached and returns
 * `{ done: false }`; the call that finishes returns `{ done: true, value }`
 * with exactly the bytes `serialize(state)` gives. The byte limit keeps a
 * slice short when clients are heavy (long outboxes, large payloads). The
 * state is an immutable value, so the shell may go on stepping between
 * slices; the snapshot is of `state` as it was given.
 *
 * @throws HubUsageError('invalidInput') on a limit that is not a positive
 *   integer or `Infinity`, at the first `next()`.
 */
export function* serializeInSlices(state: HubState, limits: SliceLimits = {}): Generator<void, Uint8Array, void> {
  return yield* slicedWriter(state, limits, CHUNK_BYTES);
}

/** Bytes of one buffer of {@link serializeInSlices} before it starts the next. */
const CHUNK_BYTES = 16 << 20;

/**
 * {@link serializeInSlices} with the size of its buffers as a parameter, so
 * tests can cross buffer boundaries with small hubs. @internal
 */
export function* slicedWriter(state: HubState, limits: SliceLimits, chunkBytes: number): Generator<void, Uint8Array, void> {
  const entries = sliceLimit(limits.entries ?? 4096, 'entries');
  const bytes = sliceLimit(limits.bytes ?? 1 << 20, 'bytes');
  if (entries === Infinity && bytes === Infinity) return serialize(state);
  // The snapshot is written into buffers of `chunkBytes` (plus room for the entry that crosses the
  // mark), started as each fills up and joined at the end, a buffer per slice: no slice ever
  // copies or allocates the whole snapshot but the first of the join (one big growth or
  // allocation can set off a full garbage collection, and hold the caller for as long).
  const room = chunkBytes + (chunkBytes >>> 4);
  const chunks: Uint8Array[] = [];
  let w = headerOf(state, room);
  let before = 0; // bytes in the chunks already cut
  let n = 0;
  let sliceFrom = 0;
  const sliceOver = (): boolean => {
    if (w.length >= chunkBytes) {
      const chunk = w.take();
      chunks.push(chunk);
      before += chunk.length;
      w = new ByteWriter(room);
    }
    const written = before + w.length;
    if (++n < entries && written - sliceFrom < bytes) return false;
    n = 0;
    sliceFrom = written;
    return true;
  };
  w.varuint(state.profiles.size);
  yield* inSlices(state.profiles, (p) => writeProfile(w, p), sliceOver);
  w.varuint(state.clients.size);
  yield* inSlices(state.clients, (c) => writeClient(w, c), sliceOver);
  w.varuint(state.sessions.size);
  yield* inSlices(state.sessions, (s) => writeSession(w, s), sliceOver);
  if (chunks.length === 0) return w.take();
  chunks.push(w.take());
  const out = new Uint8Array(before + w.length);
  let at = 0;
  for (const c of chunks) {
    yield;
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/**
 * Writes every entry of `table` in key order, pausing whenever `over()` says
 * a slice is full: each slice is one `forEachFrom` walk (as fast as
 * `forEach`), resumed after the last key written.
 */
function* inSlices<V>(table: IntMap<V>, write: (value: V) => void, over: () => boolean): Generator<void, void, void> {
  let from = 0;
  for (;;) {
    let last = -1;
    let cut = false;
    table.forEachFrom(from, (value, key) => {
      write(value);
      last = key;
      cut = over();
      return cut;
    });
    if (!cut) return;
    yield;
    from = last + 1;
  }
}

function sliceLimit(value: number, name: string): number {
  if (value === Infinity || (Number.isSafeInteger(value) && value > 0)) return value;
  throw new HubUsageError('invalidInput', `slice ${name} must be a positive integer or Infinity, got ${String(value)}`);
}

/** A writer holding the magic, version, config and counters, sized for the whole snapshot. */
function headerOf(state: HubState, capacity?: number): ByteWriter {
  // Sized up front for the usual ~250 bytes a client (contact, one environment, verifier, dialog)
  // and ~100 a session, so a large hub's writer seldom grows (each growth copies everything
  // written so far) and `take` can hand the buffer over without one more copy.
  const w = new ByteWriter(capacity ?? (1 << 16) + state.clients.size * 256 + state.sessions.size * 96);
  for (const b of MAGIC) w.u8(b);
  w.u8(SNAPSHOT_VERSION);
  w.string(JSON.stringify(state.config));
  w.i64(state.now);
  w.varuint(state.nextCommandId);
  w.varuint(state.regSeq);
  return w;
}

function writeProfile(w: ByteWriter, p: Profile): void {
  w.u32(p.id);
  w.string(p.name);
  w.u8(MANAGEMENT_MODES.indexOf(p.mode));
  w.u8(p.policy === null ? 0 : POLICIES.indexOf(p.policy) + 1);
  w.u32(p.enabledClient ?? 0);
  w.varuint(p.clientCount);
}

function writeClient(w: ByteWriter, c: Client): void {
  w.u32(c.id);
  w.u32(c.profileId);
  w.u8(CLIENT_STATUSES.indexOf(c.status));
  w.varuint(c.regSeq);
  w.i64(c.registeredAt);
  w.string(c.contact.name);
  w.string(c.contact.phone);
  w.string(c.contact.email);
  w.varuint(c.environments.length);
  for (const e of c.environments) {
    w.i64(e.at);
    writeEnvironment(w, e.env, 'environment');
  }
  w.bytes(hexToBytes(c.verifier));
  w.varuint(c.registrationRequestId);
  w.u8((c.proven ? 1 : 0) | (c.dialog !== null ? 2 : 0));
  if (c.dialog !== null) writeDialog(w, c.id, c.dialog);
}

function writeSession(w: ByteWriter, s: Session): void {
  w.u32(s.link);
  w.u32(s.clientId);
  w.i64(s.since);
  w.i64(s.lastHeard);
  w.i64(s.syncAt);
  w.i64(s.deadAt);
  w.u8(s.resendAt === null ? 0 : 1);
  if (s.resendAt !== null) w.i64(s.resendAt);
  w.i64(s.indexedAt);
  writeDialog(w, s.clientId, s.dialog);
}

// ---- reading ------------------------------------------------------------------

class Corrupt extends Error {}

function frameMessages(bytes: Uint8Array, clientId: number): DialogMessage[] {
  if (bytes.length === 0) return [];
  const f = decodeFrame(bytes, FRAME_LIMITS);
  if (!f.ok || f.value.kind !== 'dialog' || f.value.clientId !== clientId) throw new Corrupt(`bad dialog frame for client ${clientId}`);
  // serialize writes every ack as 0: anything else is not a snapshot it wrote.
  if (f.value.messages.some((m) => m.ack !== 0)) throw new Corrupt(`client ${clientId}: a stored message carries an ack`);
  return [...f.value.messages];
}

function readDialog(r: ByteReader, clientId: number): DialogState {
  const inSeq = r.varuint();
  const outSeq = r.varuint();
  const outAcked = r.varuint();
  const messagesIn = r.varuint();
  const messagesOut = r.varuint();
  const lastSeen = r.bool('lastSeen flag') ? (r.i64() as Millis) : null;
  // Views: a frame is decoded on the spot (the messages copy what they keep). Most are empty, and
  // share the frozen empty lists of EMPTY_DIALOG (the core never changes a list in place).
  const outboxFrame = r.view(NO_LIMIT);
  const outbox: readonly OutboundMessage[] =
    outboxFrame.length === 0 ? EMPTY_DIALOG.outbox : frameMessages(outboxFrame, clientId).map((m) => ({ seq: m.seq, body: m.body }));
  const unconfirmedFrame = r.view(NO_LIMIT);
  const unconfirmed: readonly PendingDelivery[] =
    unconfirmedFrame.length === 0
      ? EMPTY_DIALOG.unconfirmed
      : frameMessages(unconfirmedFrame, clientId).map((m) => {
          if (m.body.type !== 'app') throw new Corrupt(`client ${clientId}: an unconfirmed delivery is not an application message`);
          return { seq: m.seq, appType: m.body.appType, payload: m.body.payload, replyTo: m.body.replyTo };
        });
  return makeDialog(inSeq, outSeq, outAcked, outbox, messagesIn, messagesOut, lastSeen, unconfirmed);
}

/**
 * Checks that a table's ids come in strictly ascending order, as `serialize` writes them (so a
 * snapshot has one byte form, and a duplicate id cannot hide); returns `id` as the new last one.
 */
function ascending(last: number, id: number, what: string): number {
  if (id <= last) throw new Corrupt(`${what} ids out of order: ${id} after ${last}`);
  return id;
}

function pick<T>(table: readonly T[], index: number, what: string): T {
  const v = table[index];
  if (v === undefined) throw new Corrupt(`unknown ${what} code ${index}`);
  return v;
}

export interface DeserializeOptions {
  /** Check every invariant of the restored state (linear in its size). Default true. */
  readonly verify?: boolean;
}

/**
 * Restores a state from `serialize` bytes. Never throws on bad bytes: returns
 * `{ ok: false, error }` for a wrong magic or version, corrupt bytes, or
 * (with `verify`, the default) a state that breaks an invariant.
 */
export function deserialize(bytes: Uint8Array, options: DeserializeOptions = {}): Result<HubState, SnapshotError> {
  try {
    return ok(read(bytes, options.verify ?? true));
  } catch (e) {
    if (e instanceof SnapshotFailure) return err(e.error);
    if (e instanceof Corrupt || e instanceof HubUsageError || e instanceof RangeError || e instanceof SyntaxError) {
      return err({ code: 'corrupt', message: e.message });
    }
    return err({ code: 'corrupt', message: String(e) });
  }
}

class SnapshotFailure extends Error {
  constructor(readonly error: SnapshotError) {
    super(error.message);
  }
}

function read(bytes: Uint8Array, verify: boolean): HubState {
  if (!(bytes instanceof Uint8Array) || bytes.length < 5 || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw new SnapshotFailure({ code: 'badMagic', message: 'not a dialoghub snapshot' });
  }
  if (bytes[4] !== SNAPSHOT_VERSION) {
    throw new SnapshotFailure({ code: 'badVersion', message: `snapshot version ${bytes[4]} is not supported (this build reads ${SNAPSHOT_VERSION})` });
  }
  const r = new ByteReader(bytes, 5);
  const check = (): void => {
    if (r.error !== undefined) throw new Corrupt(`${r.error.code} at offset ${r.error.offset}: ${r.error.message}`);
  };
  const configText = r.string(NO_LIMIT);
  check();
  const config = resolveConfig(JSON.parse(configText) as HubConfig);
  // Only the exact text `serialize` writes for the config it resolves to: a damaged key or value
  // that still parses (an unknown key is otherwise ignored, its setting silently defaulted) is
  // refused, so a snapshot has one byte form. A build that adds a config field must bump the
  // version and keep reading the older form.
  if (JSON.stringify(config) !== configText) throw new Corrupt('the config is not in the form serialize writes');
  const now = r.i64() as Millis;
  const nextCommandId = r.varuint();
  const regSeq = r.varuint();
  check();
  // Tables are built as they are read, with a builder's token (as in IntMap.from): written in place until published below.
  const edit = {};
  let profiles = IntMap.empty<Profile>();
  const profileCount = r.varuint();
  let lastId = -1;
  for (let i = 0; i < profileCount; i++) {
    const id = r.u32() as ProfileId;
    lastId = ascending(lastId, id, 'profile');
    const name = r.string(NO_LIMIT);
    const mode = pick(MANAGEMENT_MODES, r.u8(), 'mode');
    const policyCode = r.u8();
    const policy = policyCode === 0 ? null : pick(POLICIES, policyCode - 1, 'policy');
    const enabled = r.u32();
    const clientCount = r.varuint();
    check();
    profiles = profiles.assoc(id, { id, name, mode, policy, enabledClient: enabled === 0 ? null : (enabled as ClientId), clientCount }, edit);
  }
  let clients = IntMap.empty<Client>();
  const clientCount = r.varuint();
  check();
  lastId = -1;
  for (let i = 0; i < clientCount; i++) {
    const id = r.u32() as ClientId;
    lastId = ascending(lastId, id, 'client');
    const profileId = r.u32() as ProfileId;
    const status = pick(CLIENT_STATUSES, r.u8(), 'status');
    const regSeqOf = r.varuint();
    const registeredAt = r.i64() as Millis;
    const contact = { name: r.string(NO_LIMIT), phone: r.string(NO_LIMIT), email: r.string(NO_LIMIT) };
    const envCount = r.varuint(NO_LIMIT);
    const environments: EnvironmentEntry[] = [];
    for (let j = 0; j < envCount && r.error === undefined; j++) environments.push({ at: r.i64() as Millis, env: readEnvironment(r, FRAME_LIMITS) });
    const verifier = r.view(64);
    const registrationRequestId = r.varuint();
    const flags = r.u8();
    if (flags > 3) throw new Corrupt(`client ${id}: unknown flags ${flags}`);
    check();
    if (verifier.length !== 32) throw new Corrupt(`client ${id}: verifier of ${verifier.length} bytes`);
    const dialog = (flags & 2) !== 0 ? readDialog(r, id) : null;
    check();
    const client: Client = { id, profileId, status, regSeq: regSeqOf, registeredAt, contact, environments, verifier: hexOf(verifier), registrationRequestId, proven: (flags & 1) !== 0, dialog };
    clients = clients.assoc(id, client, edit);
  }
  let sessions = IntMap.empty<Session>();
  let online = IntMap.empty<LinkId>();
  let deadlines = emptyDeadlines();
  const sessionCount = r.varuint();
  check();
  lastId = -1;
  for (let i = 0; i < sessionCount; i++) {
    const link = r.u32() as LinkId;
    lastId = ascending(lastId, link, 'session link');
    const clientId = r.u32() as ClientId;
    const since = r.i64() as Millis;
    const lastHeard = r.i64() as Millis;
    const syncAt = r.i64() as Millis;
    const deadAt = r.i64() as Millis;
    const resendAt = r.bool('resendAt flag') ? (r.i64() as Millis) : null;
    const indexedAt = r.i64() as Millis;
    check();
    const dialog = readDialog(r, clientId);
    check();
    sessions = sessions.assoc(link, makeSession(link, clientId, since, lastHeard, syncAt, deadAt, resendAt, indexedAt, dialog), edit);
    online = online.assoc(clientId, link, edit);
    deadlines = addDeadline(deadlines, indexedAt, link, edit);
  }
  if (r.remaining !== 0) throw new Corrupt(`${r.remaining} trailing byte(s)`);
  const state: HubState = Object.freeze({
    config,
    now,
    nextCommandId,
    regSeq,
    profiles,
    clients,
    sessions,
    online,
    deadlines,
    nextDue: firstDeadline(deadlines)?.at ?? null,
  });
  if (state.sessions.size !== sessionCount || state.clients.size !== clientCount || state.profiles.size !== profileCount) {
    throw new SnapshotFailure({ code: 'inconsistent', message: 'duplicate ids in the snapshot' });
  }
  if (verify) {
    const problems = checkInvariants(state);
    if (problems.length > 0) throw new SnapshotFailure({ code: 'inconsistent', message: `the snapshot breaks invariants: ${problems.slice(0, 3).join('; ')}` });
  }
  return state;
}
