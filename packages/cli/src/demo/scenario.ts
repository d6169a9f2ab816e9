/**
 * Theory of operation: what happens to each profile during a demo, in three
 * acts at fixed fractions of the run. Each act only starts engines and
 * closes them, the way installations would; the hub's core settles every
 * conflict, and the books show what it decided. Per profile of two (first,
 * second installation):
 *
 * | act (at) | replaceOld | ignoreNew | seniority |
 * |---|---|---|---|
 * | 1 (15 %) another client of the profile arrives | second registers while first is online → first `replaced` | second registers → refused `profileInUse` | first closes; second registers → first `disabled` |
 * | 2 (35 %) the same client connects twice | second's new engine logs in → old one `pushedOut` | first's new engine → refused `alreadyOnline` | second's new engine → refused `alreadyOnline` |
 * | 3 (55 %) the first one comes back | first logs in (disabled) → second `replaced` | first closes; second registers again → first `disabled` | first logs in (older) → second `banned` |
 *
 * A profile of one only plays act 2. While an act runs on a profile its
 * clients' links are not cut (`busy`), so each act meets the state it
 * expects. Every wait is bounded; an act whose starting point is not there
 * in time (its engine still resuming after a cut link) is skipped for that
 * profile rather than played in a state it was not meant for — above all,
 * no second engine of a client ever logs in while the first one is away,
 * which would be two installations sharing one id (docs/client.md, known
 * limits).
 */
import type { Policy } from '@dialoghub/core';
import type { DemoProfile } from './layout.js';
import type { DemoEngine } from './engine.js';
import type { Pulse } from './pulse.js';

/** When each act starts, as a fraction of the run. */
export const ACTS = Object.freeze({ otherClient: 0.15, sameClient: 0.35, comeBack: 0.55 });

/** What an act needs from the demo. */
export interface Stage {
  readonly pulse: Pulse;
  /** Starts a new engine for `clientId`: `login` with its stored credentials, or `register`. */
  start(clientId: number, mode: 'login' | 'register'): DemoEngine;
  /** Whether the hub has the client online. */
  hubOnline(clientId: number): boolean;
  /** The client's engines that have not stopped. */
  alive(clientId: number): readonly DemoEngine[];
  /** Profiles in an act (their links are not cut meanwhile). */
  readonly busy: Set<number>;
  /** Longest wait for one step of an act. */
  readonly stepMs: number;
}

/** The engines of one profile over the run. */
export interface ProfileCast {
  readonly profile: DemoProfile;
  /** The engine that holds the profile now (the one traffic is expected from). */
  active: DemoEngine | null;
  /** The first installation's engine, kept for act 3. */
  first: DemoEngine | null;
  second: DemoEngine | null;
}

const online = (e: DemoEngine | null): boolean => e !== null && e.status === 'online';
const settled = (e: DemoEngine): boolean => e.status !== 'offline';

async function whileBusy(stage: Stage, cast: ProfileCast, act: () => Promise<void>): Promise<void> {
  stage.busy.add(cast.profile.id);
  try {
    await act();
  } finally {
    stage.busy.delete(cast.profile.id);
  }
}

/** Closes `engine` and waits until the hub has the client offline. */
async function closeAndWait(stage: Stage, engine: DemoEngine): Promise<void> {
  engine.stop();
  await stage.pulse.until(() => !stage.hubOnline(engine.clientId), stage.stepMs);
}

/** Starts an engine and waits until it is online or stopped. */
async function arrive(stage: Stage, clientId: number, mode: 'login' | 'register'): Promise<DemoEngine> {
  const engine = stage.start(clientId, mode);
  await stage.pulse.until(() => settled(engine), stage.stepMs);
  return engine;
}

/** Act 1: another client of the profile arrives. */
export async function otherClientArrives(stage: Stage, cast: ProfileCast): Promise<void> {
  const { profile } = cast;
  if (profile.second === null) return;
  await whileBusy(stage, cast, async () => {
    if (!(await stage.pulse.until(() => online(cast.first), stage.stepMs))) return;
    const policy: Policy = profile.policy;
    if (policy === 'seniority' && cast.first !== null) await closeAndWait(stage, cast.first);
    const second = await arrive(stage, profile.second!, 'register');
    cast.second = second;
    if (second.status === 'online') cast.active = second;
    if (policy === 'replaceOld') await stage.pulse.until(() => cast.first?.status === 'stopped', stage.stepMs);
  });
}

/** Act 2: the active client connects a second time. */
export async function sameClientTwice(stage: Stage, cast: ProfileCast): Promise<void> {
  const holder = cast.active;
  if (holder === null || holder.status === 'stopped') return;
  await whileBusy(stage, cast, async () => {
    // Only while the holder is online: a second engine that logs in while the first one is away
    // and then meets it again is two installations sharing one id (docs/client.md, known limits).
    if (!(await stage.pulse.until(() => online(holder), stage.stepMs))) return;
    if (stage.alive(holder.clientId).length !== 1) return;
    const again = await arrive(stage, holder.clientId, 'login');
    if (again.status === 'online') {
      if (cast.second === holder) cast.second = again;
      if (cast.first === holder) cast.first = again;
      cast.active = again;
      await stage.pulse.until(() => holder.status === 'stopped', stage.stepMs);
    }
  });
}

/** Act 3: the first installation comes back (or, under ignoreNew, the second finally gets in). */
export async function firstComesBack(stage: Stage, cast: ProfileCast): Promise<void> {
  const { profile } = cast;
  if (profile.second === null) return;
  await whileBusy(stage, cast, async () => {
    const holder = cast.active;
    if (holder !== null && !(await stage.pulse.until(() => holder.status !== 'offline', stage.stepMs))) return;
    if (profile.policy === 'ignoreNew') {
      if (holder !== null && holder.status === 'online') await closeAndWait(stage, holder);
      if (stage.alive(profile.second!).length > 0) return;
      const second = await arrive(stage, profile.second!, 'register');
      cast.second = second;
      if (second.status === 'online') cast.active = second;
      return;
    }
    // The first's earlier engine must be gone (replaced or closed in act 1): one engine per id.
    if (stage.alive(profile.first).length > 0) return;
    const first = await arrive(stage, profile.first, 'login');
    cast.first = first;
    if (first.status === 'online') {
      cast.active = first;
      if (holder !== null && holder !== first) await stage.pulse.until(() => holder.status === 'stopped', stage.stepMs);
    }
  });
}
