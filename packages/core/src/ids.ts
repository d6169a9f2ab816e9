/**
 * Branded primitives. A brand costs nothing at run time; it stops a client id
 * from being passed where a link id or a time is expected.
 */

declare const brand: unique symbol;
type Brand<T, B extends string> = T & { readonly [brand]: B };

/** A client installation's id: an unsigned 32-bit integer, never 0 (seed B25). */
export type ClientId = Brand<number, 'ClientId'>;
/** A profile's id: an unsigned 32-bit integer, never 0. */
export type ProfileId = Brand<number, 'ProfileId'>;
/**
 * A transport link (a TCP connection, a mailbox session…): an unsigned 32-bit
 * integer chosen by the transport, unique among the links that are open.
 */
export type LinkId = Brand<number, 'LinkId'>;
/** Milliseconds since the Unix epoch, as the shell's clock reports them. */
export type Millis = Brand<number, 'Millis'>;
/** Id of a command whose outcome the shell may report back (`commandFailed`). */
export type CommandId = Brand<number, 'CommandId'>;

/** True for an integer in [1, 2^32). */
export function isU32Id(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= 0xffffffff;
}

/** True for an integer in [0, 2^32). */
export function isU32(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 0xffffffff;
}

export const clientId = (n: number): ClientId => n as ClientId;
export const profileId = (n: number): ProfileId => n as ProfileId;
export const linkId = (n: number): LinkId => n as LinkId;
export const millis = (n: number): Millis => n as Millis;
