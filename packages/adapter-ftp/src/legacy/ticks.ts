/**
 * Theory of operation: .NET `DateTime` as the legacy files carry it
 * (hub-protocol.md §4): a signed 64-bit count of 100 ns ticks since
 * 0001-01-01T00:00:00, with the `Kind` dropped. The legacy peers wrote local
 * times, so a tick value names a wall-clock reading in an unknown zone (B24);
 * these helpers convert it as if it were UTC and say nothing about zones.
 *
 * Ticks are `bigint`: the values in use (about 6.4 × 10^17) are far beyond
 * 2^53, so a JS number would round them. Milliseconds are JS numbers: every
 * valid tick value is within ±2^53 ms of the Unix epoch, so the conversion to
 * milliseconds is exact up to the sub-millisecond remainder, which it floors.
 *
 * Valid ticks are those `new DateTime(ticks)` accepts: 0 to
 * {@link DOTNET_MAX_TICKS}. The original reader throws on anything else, so
 * the decoders refuse it too (`corrupt`).
 */

/** A .NET `DateTime.Ticks` value: 100 ns intervals since 0001-01-01T00:00:00. */
export type DotNetTicks = bigint;

/** Ticks in one millisecond. */
export const TICKS_PER_MILLISECOND = 10_000n;

/** Ticks of 1970-01-01T00:00:00 (`DateTime.UnixEpoch.Ticks`). */
export const UNIX_EPOCH_TICKS = 621_355_968_000_000_000n;

/** Ticks of `DateTime.MaxValue`, 9999-12-31T23:59:59.9999999. `DateTime.MinValue` is 0. */
export const DOTNET_MAX_TICKS = 3_155_378_975_999_999_999n;

/** True for a `bigint` in [0, {@link DOTNET_MAX_TICKS}]: a value `new DateTime(ticks)` accepts. */
export function isDotNetTicks(v: unknown): v is DotNetTicks {
  return typeof v === 'bigint' && v >= 0n && v <= DOTNET_MAX_TICKS;
}

/**
 * Milliseconds since the Unix epoch of a tick value, rounded toward −∞ when
 * the ticks are not a whole millisecond (so `epochMsToTicks` of the result is
 * at most 9 999 ticks earlier). Dates before 1970 give negative numbers.
 * Throws a `TypeError` for a non-bigint and a `RangeError` outside the
 * `DateTime` range.
 */
export function ticksToEpochMs(ticks: DotNetTicks): number {
  if (typeof ticks !== 'bigint') throw new TypeError(`ticks must be a bigint, got ${typeof ticks}`);
  if (!isDotNetTicks(ticks)) throw new RangeError(`ticks must be in [0, ${DOTNET_MAX_TICKS}], got ${ticks}`);
  const since = ticks - UNIX_EPOCH_TICKS;
  let ms = since / TICKS_PER_MILLISECOND;
  // BigInt division truncates toward zero; floor instead, so pre-1970 values round down like post-1970 ones.
  if (since % TICKS_PER_MILLISECOND < 0n) ms -= 1n;
  return Number(ms);
}

/**
 * Ticks of a time given in milliseconds since the Unix epoch. Exact. Throws a
 * `TypeError` when `ms` is not a safe integer and a `RangeError` when the
 * time is outside the `DateTime` range (years 1 to 9999).
 */
export function epochMsToTicks(ms: number): DotNetTicks {
  if (typeof ms !== 'number' || !Number.isSafeInteger(ms)) throw new TypeError(`ms must be a safe integer, got ${String(ms)}`);
  const ticks = BigInt(ms) * TICKS_PER_MILLISECOND + UNIX_EPOCH_TICKS;
  if (!isDotNetTicks(ticks)) throw new RangeError(`ms ${ms} is outside the .NET DateTime range`);
  return ticks;
}

/** The sub-millisecond part of a tick value (0 to 9 999): what {@link ticksToEpochMs} drops. */
export function ticksRemainder(ticks: DotNetTicks): number {
  if (typeof ticks !== 'bigint') throw new TypeError(`ticks must be a bigint, got ${typeof ticks}`);
  const r = (ticks - UNIX_EPOCH_TICKS) % TICKS_PER_MILLISECOND;
  return Number(r < 0n ? r + TICKS_PER_MILLISECOND : r);
}
