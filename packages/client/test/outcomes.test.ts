/**
 * The refusal table drives the engine: each `rejected` reason either stops it
 * for good or is retried after a backoff, exactly as `REFUSAL_OUTCOME` says.
 * A scripted peer refuses every request with one reason.
 */
import { CLOSE_REASON_RECONNECT, CLOSE_REASONS, linkId, REJECT_REASONS, type CloseReason, type HubInput, type RejectReason } from '@dialoghub/core';
import { describe, expect, it } from 'vitest';
import { answerOutcome, closeIsTerminal, REFUSAL_OUTCOME, type ClientFrame, type ClientLink, type ClientTransport } from '../src/index.js';
import { SteppingClock } from './helpers/clock.js';
import { startEngine } from './helpers/engine.js';
import { FakeLink, type LinkPeer } from './helpers/fake-hub.js';

/** The close reason a hub sends after each refusal (docs/protocol.md §4.4); linkBusy leaves the link open. */
const CLOSE_AFTER: Readonly<Record<RejectReason, CloseReason | null>> = {
  badCredentials: 'refused',
  disabled: 'disabled',
  banned: 'banned',
  profileManual: 'refused',
  profileInUse: 'refused',
  alreadyOnline: 'alreadyOnline',
  seniority: 'refused',
  linkBusy: null,
  denied: 'refused',
};

class Refuser implements LinkPeer {
  private next = 1;
  constructor(private readonly reason: RejectReason) {}
  readonly transport: ClientTransport = { connect: () => Promise.resolve(new FakeLink(this, linkId(this.next++)) as ClientLink) };
  fromClient(link: FakeLink, frame: ClientFrame): void {
    if (frame.kind !== 'request') return;
    link.toClient({ kind: 'answer', requestId: frame.request.requestId, answer: { code: 'rejected', clientId: frame.request.clientId, reason: this.reason } });
    const close = CLOSE_AFTER[this.reason];
    if (close !== null) link.hubClose(close, CLOSE_REASON_RECONNECT[close]);
  }
  input(_: HubInput): void {}
}

describe('REFUSAL_OUTCOME', () => {
  it('covers every reject reason of the core', () => {
    expect(Object.keys(REFUSAL_OUTCOME).sort()).toEqual([...REJECT_REASONS].sort());
  });

  it.each(REJECT_REASONS.map((r) => [r, REFUSAL_OUTCOME[r]] as const))('rejected %s → %s', async (reason, outcome) => {
    const clock = new SteppingClock();
    const peer = new Refuser(reason);
    const e = startEngine(clock, peer.transport, { clientId: 7, secret: 's' });
    await clock.advance(600_000);
    if (outcome === 'stop') {
      expect(e.isStopped()).toBe(true);
      expect(e.stopReason()).toBe(reason);
      expect(e.connects).toBe(1);
    } else {
      expect(e.isStopped()).toBe(false);
      expect(e.connects).toBeGreaterThan(5);
      expect(e.of('attemptFailed').every((f) => f.reason === reason)).toBe(true);
    }
  });
});

describe('answers and closes', () => {
  it('the answer table', () => {
    const c = 7 as never;
    expect(answerOutcome({ code: 'ok', clientId: c, status: 'enabled', secret: null, lastReceived: 0, lastSent: 0 }, false, true)).toEqual({ type: 'online', secret: null });
    expect(answerOutcome({ code: 'invalidId', clientId: c }, true, true)).toEqual({ type: 'drawAgain' });
    expect(answerOutcome({ code: 'invalidId', clientId: c }, true, false)).toEqual({ type: 'stop', reason: 'invalidId' });
    expect(answerOutcome({ code: 'invalidId', clientId: c }, false, true)).toEqual({ type: 'stop', reason: 'invalidId' });
    expect(answerOutcome({ code: 'invalidProfile', clientId: c, profiles: [] }, false, true)).toEqual({ type: 'stop', reason: 'invalidProfile' });
    expect(answerOutcome({ code: 'reset', clientId: c }, false, true)).toEqual({ type: 'stop', reason: 'reset' });
    expect(answerOutcome({ code: 'profiles', clientId: c, profiles: [] }, false, true)).toEqual({ type: 'ignore' });
  });

  it('a close is terminal unless both the core table and the frame allow reconnecting', () => {
    for (const reason of CLOSE_REASONS) {
      expect(closeIsTerminal(reason, true)).toBe(!CLOSE_REASON_RECONNECT[reason]);
      expect(closeIsTerminal(reason, false)).toBe(true);
    }
    expect(closeIsTerminal('fromTheFuture' as CloseReason, true)).toBe(true);
  });
});
