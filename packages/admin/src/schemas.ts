/**
 * Theory of operation: the shapes the admin API accepts (zod). They check
 * types and ranges only; whether an action is allowed (a blank name, a
 * profile that still has clients, a client that is not reset) is the core's
 * decision, made in `step` and reported back as the action's outcome.
 */
import { CLIENT_STATUSES, MANAGEMENT_MODES, POLICIES, type ClientStatus, type ManagementMode, type Policy } from '@dialoghub/core';
import { z } from 'zod';

const U32_MAX = 0xffffffff;

/** A client or profile id: an integer in [1, 2^32). */
export const idSchema = z.int().min(1).max(U32_MAX);

/** An id in a path segment (decimal digits only). */
export const idParam = z
  .string()
  .regex(/^[0-9]{1,10}$/, 'an id is a decimal integer')
  .transform(Number)
  .pipe(idSchema);

/** The core's own lists, so a value the core adds is accepted here too. */
type NonEmpty<T> = readonly [T, ...T[]];
export const statusSchema = z.enum(CLIENT_STATUSES as NonEmpty<ClientStatus>);
export const modeSchema = z.enum(MANAGEMENT_MODES as NonEmpty<ManagementMode>);
export const policySchema = z.enum(POLICIES as NonEmpty<Policy>);

/** `GET /api/clients` query; `limit` above the cap is refused, not clamped, so a script learns the cap. */
export function listQuerySchema(maxLimit: number) {
  return z.strictObject({
    profile: idParam.optional(),
    status: statusSchema.optional(),
    online: z.enum(['true', 'false']).transform((v) => v === 'true').optional(),
    q: z.string().max(200).optional(),
    offset: z.string().regex(/^[0-9]{1,9}$/, 'offset is a non-negative integer').transform(Number).optional(),
    limit: z
      .string()
      .regex(/^[0-9]{1,6}$/, 'limit is a positive integer')
      .transform(Number)
      .pipe(z.int().min(1).max(maxLimit, `limit is at most ${maxLimit}`))
      .optional(),
  });
}

/** `GET /api/events` query. */
export const eventsQuerySchema = z.strictObject({
  since: z.string().regex(/^(?:[0-9a-f]{1,32}-)?[0-9]{1,15}$/, 'since is an event id (<epoch>-<n>, or <n>)').optional(),
});

export const setStatusBody = z.strictObject({ status: statusSchema });
export const emptyBody = z.strictObject({});
export const createProfileBody = z.strictObject({
  id: idSchema,
  name: z.string(),
  mode: modeSchema.optional(),
  policy: policySchema.nullable().optional(),
});
export const renameProfileBody = z.strictObject({ name: z.string() });
export const setModeBody = z.strictObject({ mode: modeSchema });
export const setPolicyBody = z.strictObject({ policy: policySchema.nullable() });
