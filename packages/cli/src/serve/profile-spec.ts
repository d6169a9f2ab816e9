/**
 * Theory of operation: `--profile ID:NAME[:policy]`, the profiles a hub
 * should have. Parsing only: whether the hub accepts the name (length, and
 * so on) is the core's rule, applied when the profile is created.
 */
import { POLICIES, profileId, type Policy, type ProfileId } from '@dialoghub/core';
import { integer } from '../args.js';
import { UsageError } from '../errors.js';

export interface ProfileSpec {
  readonly id: ProfileId;
  readonly name: string;
  /** The profile's own re-login policy, or null to follow the hub's. */
  readonly policy: Policy | null;
}

/**
 * `7:shop`, `7:shop:ignoreNew`. A name may hold colons (`7:a:b` is the name
 * `a:b`) unless the last part is a policy.
 */
export function profileSpec(value: string, option = '--profile'): ProfileSpec {
  const parts = value.split(':');
  if (parts.length < 2) throw new UsageError(`malformed ${option} '${value}' (expected ID:NAME or ID:NAME:POLICY)`);
  const id = integer(parts[0], `${option} id`, 1, 0xffff_ffff);
  const last = parts[parts.length - 1]!;
  const hasPolicy = parts.length >= 3 && (POLICIES as readonly string[]).includes(last);
  const name = (hasPolicy ? parts.slice(1, -1) : parts.slice(1)).join(':').trim();
  if (name === '') throw new UsageError(`${option} '${value}' has an empty name`);
  return { id: profileId(id), name, policy: hasPolicy ? (last as Policy) : null };
}

/** Every `--profile` value; an id given twice is a mistake. */
export function profileSpecs(values: readonly string[], option = '--profile'): ProfileSpec[] {
  const specs = values.map((v) => profileSpec(v, option));
  const seen = new Set<number>();
  for (const s of specs) {
    if (seen.has(s.id)) throw new UsageError(`${option} ${s.id} is given twice`);
    seen.add(s.id);
  }
  return specs;
}
