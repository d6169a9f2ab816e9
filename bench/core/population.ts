/**
 * Theory of operation: builds a hub with N registered clients, 10 % of them
 * online, through the public inputs only (`profileCreated`, a `register`
 * request per client, `connectionClosed`), exactly as a live hub would grow.
 *
 * Shape: 90 % of the profiles have one client, 10 % have two; in those the
 * second registration displaced the first under replaceOld (so 10 % of the
 * clients are disabled: the takeover workload needs them). Of the enabled
 * clients one in nine stays online after registering (≈ 10 % of N); the others
 * lose their link right after. Registration spreads over 9 s of virtual time,
 * so the online sessions' first deadlines are spread and none is due yet.
 *
 * Inputs are generated in chunks outside the timed region; only the `step`
 * calls are timed. Commands are kept per chunk and fed to the client table
 * afterwards, so the clients learn their state the way real clients would.
 */
import { initialState, step, type HubCommand, type HubInput, type HubState } from './api.js';
import { ClientTable } from './client-table.js';
import { connectionClosed, EPOCH, HUB_CONFIG, profileCreated, register } from './inputs.js';
import { seeded } from './rng.js';
import { clock } from '../timing.js';

export interface Population {
  readonly clients: number;
  readonly profiles: number;
  readonly state: HubState;
  readonly table: ClientTable;
  /** `step` calls made. */
  readonly steps: number;
  /** Time spent inside `step`, in nanoseconds. */
  readonly stepNs: bigint;
  /** Virtual milliseconds after EPOCH at which population ended. */
  readonly vt: number;
  readonly nextLink: number;
}

const CHUNK = 8192;
/** Virtual time population spans: less than syncAfterMs, so no deadline falls due during it. */
const SPAN_MS = 9000;

export function populate(n: number, seed: number, progress: (fraction: number) => void): Population {
  const second = Math.floor(n / 10);
  const profiles = n - second;
  const profileOf = (c: number): number => (c <= profiles ? c : 1 + (c - profiles - 1) * 9);
  const displaced = (c: number): boolean => c <= profiles && (c - 1) % 9 === 0 && (c - 1) / 9 < second;
  const rng = seeded(seed);
  const table = new ClientTable(n + Math.max(1024, n >> 4));

  const estimated = profiles + n + Math.ceil(n * 0.9);
  const msPerStep = SPAN_MS / estimated;
  let vt = 0;
  let state = initialState(HUB_CONFIG, EPOCH);
  let steps = 0;
  let stepNs = 0n;
  let link = 1;

  const inputs: HubInput[] = [];
  const nows: number[] = [];
  const results: (readonly HubCommand[])[] = new Array(CHUNK);
  const push = (input: HubInput): void => {
    inputs.push(input);
    nows.push(EPOCH + Math.floor(vt));
    vt += msPerStep;
    if (inputs.length === CHUNK) flush();
  };
  const flush = (): void => {
    const count = inputs.length;
    let s = state;
    const t0 = clock();
    for (let i = 0; i < count; i++) {
      const r = step(s, inputs[i]!, nows[i]!);
      s = r.state;
      results[i] = r.commands;
    }
    stepNs += clock() - t0;
    state = s;
    steps += count;
    for (let i = 0; i < count; i++) table.observe(results[i]!, null);
    inputs.length = 0;
    nows.length = 0;
    results.fill(undefined as never);
  };

  for (let p = 1; p <= profiles; p++) push(profileCreated(p));
  const every = Math.max(1, Math.floor(n / 10));
  for (let c = 1; c <= n; c++) {
    const p = profileOf(c);
    table.add(c, p);
    const l = link++;
    push(register(l, c, p, 1));
    const stays = !displaced(c) && rng() < 1 / 9;
    if (!stays) push(connectionClosed(l));
    if (c % every === 0) progress(c / n);
  }
  flush();

  if (state.clients.size !== n || table.onlineCount !== state.sessions.size) {
    throw new Error(`population went wrong: ${state.clients.size} clients (want ${n}), ${state.sessions.size} sessions, clients see ${table.onlineCount} online`);
  }
  return { clients: n, profiles, state, table, steps, stepNs, vt, nextLink: link };
}
