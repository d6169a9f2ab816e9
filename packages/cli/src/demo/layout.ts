/**
 * Theory of operation: who is who in `dialoghub demo`. Clients are dealt to
 * the three re-login policies in turn (client i to `POLICIES[i % 3]`), and
 * within a policy they share profiles two by two — a first and a second
 * installation, so that the second one's arrival is a conflict the policy
 * must settle. A client left over gets a profile of its own (it still meets
 * itself: a second connection of the same client). Each profile carries its
 * policy as an override, so one hub shows all three side by side.
 */
import { POLICIES, type Policy } from '@dialoghub/core';

/** First client id (ids are fixed, so a run reads the same every time). */
export const FIRST_CLIENT_ID = 1001;

export interface DemoProfile {
  readonly id: number;
  readonly name: string;
  readonly policy: Policy;
  /** The installation that registers first. */
  readonly first: number;
  /** The installation that arrives later, or null for a profile of one. */
  readonly second: number | null;
}

export interface DemoLayout {
  readonly profiles: readonly DemoProfile[];
  /** Client id → its profile. */
  readonly profileOf: ReadonlyMap<number, DemoProfile>;
  /** Clients per policy. */
  readonly perPolicy: Readonly<Record<Policy, number>>;
}

export function demoLayout(clients: number): DemoLayout {
  const groups: Record<Policy, number[]> = { replaceOld: [], ignoreNew: [], seniority: [] };
  for (let i = 0; i < clients; i++) groups[POLICIES[i % POLICIES.length]!].push(FIRST_CLIENT_ID + i);
  const profiles: DemoProfile[] = [];
  for (const policy of POLICIES) {
    const ids = groups[policy];
    for (let k = 0; k < ids.length; k += 2) {
      profiles.push({ id: profiles.length + 1, name: `${policy}-${k / 2 + 1}`, policy, first: ids[k]!, second: ids[k + 1] ?? null });
    }
  }
  const profileOf = new Map<number, DemoProfile>();
  for (const p of profiles) {
    profileOf.set(p.first, p);
    if (p.second !== null) profileOf.set(p.second, p);
  }
  return { profiles, profileOf, perPolicy: { replaceOld: groups.replaceOld.length, ignoreNew: groups.ignoreNew.length, seniority: groups.seniority.length } };
}
