/**
 * Example tests of the snapshot codec's fast paths: what they share or skip
 * must not change the bytes or the restored state. (Round trips over random
 * hubs are in purity.prop.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { initialState } from '../src/state.js';
import { deserialize, serialize } from '../src/snapshot.js';
import { EMPTY_DIALOG } from '../src/model.js';
import { encodeUtf8 } from '../src/protocol/utf8.js';
import type { HubInput } from '../src/inputs.js';
import { cid, closed, deepFreeze, expectInvariants, lnk, pid, register, stepF, T0 } from './helpers.js';

function hubWithClient(environment: Record<string, string>) {
  let s = initialState({ appMessageTypes: ['note'] }, T0);
  s = stepF(s, { type: 'profileCreated', actionId: 'p', profileId: pid(1), name: 'One' } as HubInput, T0).state;
  s = register(s, { link: 1, clientId: 7, profileId: 1, environment }).state;
  return s;
}

describe('snapshot', () => {
  it('writes environment keys in sorted order whatever order they came in', () => {
    const unsorted = hubWithClient({ zeta: '1', alpha: '2', mid: '3' });
    const sorted = hubWithClient({ alpha: '2', mid: '3', zeta: '1' });
    expect(Object.keys(unsorted.clients.get(cid(7))!.environments[0]!.env)).toEqual(['zeta', 'alpha', 'mid']);
    expect(serialize(unsorted)).toEqual(serialize(sorted));
    const back = deserialize(serialize(unsorted));
    expect(back.ok && Object.keys(back.value.clients.get(cid(7))!.environments[0]!.env)).toEqual(['alpha', 'mid', 'zeta']);
  });

  it('restores empty outboxes as the shared frozen lists, and a restored, deep-frozen hub carries on', () => {
    const online = hubWithClient({ os: 'linux' });
    const offline = closed(online, 1).state;
    const back = deserialize(serialize(offline));
    if (!back.ok) throw new Error(back.error.message);
    const dialog = back.value.clients.get(cid(7))!.dialog!;
    expect(dialog.outbox).toBe(EMPTY_DIALOG.outbox);
    expect(dialog.unconfirmed).toBe(EMPTY_DIALOG.unconfirmed);
    expect(Object.isFrozen(dialog.outbox)).toBe(true);
    // An application push to the offline client is queued in a new list; the shared one stays empty.
    const restored = deepFreeze(back.value);
    const pushed = stepF(restored, { type: 'appMessageSent', actionId: 'push', to: { clientId: cid(7) }, appType: 'note', payload: new Uint8Array([1]), replyTo: 0 });
    expect(pushed.state.clients.get(cid(7))!.dialog!.outbox).toHaveLength(1);
    expect(EMPTY_DIALOG.outbox).toHaveLength(0);
    expectInvariants(pushed.state);
    // A non-empty outbox survives the round trip as data, not as a shared list.
    const again = deserialize(serialize(pushed.state));
    if (!again.ok) throw new Error(again.error.message);
    expect(again.value.clients.get(cid(7))!.dialog!.outbox).toEqual(pushed.state.clients.get(cid(7))!.dialog!.outbox);
    expect(serialize(again.value)).toEqual(serialize(pushed.state));
    expect(again.value.sessions.get(lnk(1))).toBeUndefined();
  });

  it('keeps an environment key named "__proto__" across a round trip (an ordinary key, as on the wire)', () => {
    const env = Object.fromEntries([['__proto__', 'x'], ['os', 'linux']]) as Record<string, string>;
    const hub = hubWithClient(env);
    expect(Object.keys(hub.clients.get(cid(7))!.environments[0]!.env)).toEqual(['__proto__', 'os']);
    const back = deserialize(serialize(hub));
    if (!back.ok) throw new Error(back.error.message);
    const restored = back.value.clients.get(cid(7))!.environments[0]!.env;
    expect(Object.keys(restored)).toEqual(['__proto__', 'os']);
    expect(Object.getPrototypeOf(restored)).toBe(Object.prototype);
    expect(serialize(back.value)).toEqual(serialize(hub));
  });

  it('refuses a config that parses but is not the one serialize writes (an unknown key would silently take a default)', () => {
    const bytes = serialize(hubWithClient({}));
    const text = Array.from(bytes, (b) => String.fromCharCode(b)).join(''); // byte offsets = string offsets
    const at = text.indexOf('"maxOutbox"');
    expect(at).toBeGreaterThan(0);
    const damaged = Uint8Array.from(bytes);
    damaged.set(encodeUtf8('"maxOutbix"'), at);
    const r = deserialize(damaged);
    expect(r).toEqual({ ok: false, error: { code: 'corrupt', message: 'the config is not in the form serialize writes' } });
  });

  it('refuses table entries out of ascending id order', () => {
    let s = hubWithClient({});
    s = stepF(s, { type: 'profileCreated', actionId: 'p2', profileId: pid(2), name: 'Two' } as HubInput).state;
    const bytes = serialize(s);
    const one = indexOf(bytes, [1, 0, 0, 0, 3, 0x4f, 0x6e, 0x65]); // id 1, "One"
    const two = indexOf(bytes, [2, 0, 0, 0, 3, 0x54, 0x77, 0x6f]); // id 2, "Two"
    const swapped = Uint8Array.from(bytes);
    swapped[one] = 2;
    swapped[two] = 1;
    const r = deserialize(swapped);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toEqual({ code: 'corrupt', message: 'profile ids out of order: 1 after 2' });
  });

  it('refuses a snapshot whose verifier is not 32 bytes', () => {
    const bytes = serialize(hubWithClient({}));
    // The verifier is written as a one-byte length 32 followed by the bytes: make it 31.
    const at = findVerifier(bytes, hubWithClient({}).clients.get(cid(7))!.verifier);
    const cut = new Uint8Array(bytes.length - 1);
    cut.set(bytes.subarray(0, at));
    cut[at] = 31;
    cut.set(bytes.subarray(at + 2), at + 1);
    const r = deserialize(cut);
    expect(r.ok).toBe(false);
  });
});

/** Offset of the length byte before the verifier's 32 raw bytes. */
function findVerifier(bytes: Uint8Array, hex: string): number {
  const raw = Array.from({ length: 32 }, (_, i) => parseInt(hex.slice(2 * i, 2 * i + 2), 16));
  outer: for (let i = 1; i + 32 <= bytes.length; i++) {
    for (let j = 0; j < 32; j++) if (bytes[i + j] !== raw[j]) continue outer;
    expect(bytes[i - 1]).toBe(32);
    return i - 1;
  }
  throw new Error('verifier not found');
}

function indexOf(bytes: Uint8Array, needle: readonly number[]): number {
  outer: for (let i = 0; i + needle.length <= bytes.length; i++) {
    for (let j = 0; j < needle.length; j++) if (bytes[i + j] !== needle[j]) continue outer;
    return i;
  }
  throw new Error(`${needle.join(',')} not found`);
}
