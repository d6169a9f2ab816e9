/**
 * The incremental invariant checker: real core steps pass; the same steps
 * with a state or a command list tampered with are caught.
 */
import { initialState, step, type HubCommand, type HubInput, type HubState } from '@dialoghub/core';
import { describe, expect, it } from 'vitest';
import { CoreChecker } from '../src/index.js';

const T = 1_000_000;
const contact = { name: 'a', phone: '', email: '' };

function register(link: number, clientId: number, profileId: number, secret: string): HubInput {
  return {
    type: 'requestReceived',
    link: link as never,
    request: { kind: 'register', requestId: 1, clientId: clientId as never, profileId: profileId as never, contact, environment: {} },
    issued: { secret },
  };
}

/** Runs inputs through the core and the checker; returns the last step's parts. */
function build(inputs: HubInput[]): { checker: CoreChecker; state: HubState; index: number } {
  const checker = new CoreChecker();
  let state = initialState({ appMessageTypes: ['chat'] }, T);
  inputs.forEach((input, i) => {
    const r = step(state, input, T + i);
    expect(checker.afterStep(state, input, r.state, r.commands, i)).toBeNull();
    state = r.state;
  });
  return { checker, state, index: inputs.length };
}

const base: HubInput[] = [{ type: 'profileCreated', actionId: 'p', profileId: 1 as never, name: 'p' }, register(10, 100, 1, 's100')];

describe('CoreChecker', () => {
  it('accepts what the core does, including a takeover', () => {
    const { checker, state } = build(base);
    const input = register(11, 101, 1, 's101');
    const r = step(state, input, T + 5);
    expect(checker.afterStep(state, input, r.state, r.commands, 2)).toBeNull();
    expect(checker.full(r.state, 2)).toBeNull();
  });

  it('catches a second enabled client in a profile', () => {
    const { checker, state } = build(base);
    const input = register(11, 101, 1, 's101');
    const r = step(state, input, T + 5);
    const loser = r.state.clients.get(100)!;
    const broken: HubState = Object.freeze({ ...r.state, clients: r.state.clients.set(100, { ...loser, status: 'enabled' }) });
    expect(checker.afterStep(state, input, broken, r.commands, 2)).toMatchObject({ kind: 'oneEnabledPerProfile', clientId: 100, step: 2 });
    expect(checker.full(broken, 2)).toMatchObject({ kind: 'stateInvariant' });
  });

  it('catches a session that ends without a close', () => {
    const { checker, state } = build(base);
    const input = register(11, 101, 1, 's101');
    const r = step(state, input, T + 5);
    const withoutClose = r.commands.filter((c) => c.type !== 'close');
    expect(checker.afterStep(state, input, r.state, withoutClose, 2)).toMatchObject({ kind: 'silentClose', clientId: 100 });
  });

  it('catches a hand-over the client never sent, and a repeated one', () => {
    const { checker, state } = build(base);
    const chat = (seq: number, byte: number): HubInput => ({
      type: 'messagesReceived',
      link: 10 as never,
      messages: [{ seq, ack: 0, body: { type: 'app', appType: 'chat', payload: new Uint8Array([byte]), replyTo: 0 } }],
    });
    const r = step(state, chat(1, 1), T + 5);
    const forged = r.commands.map((c): HubCommand => (c.type === 'deliver' ? { ...c, payload: new Uint8Array([9]) } : c));
    expect(new CoreChecker().afterStep(state, chat(1, 1), r.state, forged, 2)).toMatchObject({ kind: 'deliverMismatch' });
    expect(checker.afterStep(state, chat(1, 1), r.state, r.commands, 2)).toBeNull();
    // The same hand-over again (as a core that re-handled seq 1 would emit).
    expect(checker.afterStep(state, chat(1, 1), r.state, r.commands, 3)).toMatchObject({ kind: 'duplicateDelivery' });
    const dropped = r.commands.filter((c) => c.type !== 'deliver');
    expect(new CoreChecker().afterStep(state, chat(1, 1), r.state, dropped, 2)).toMatchObject({ kind: 'undelivered' });
  });

  it('catches sequence numbers going backwards, and forgets what a crash rolled back', () => {
    const checker = new CoreChecker(true);
    let state = initialState({}, T);
    for (const [i, input] of base.entries()) {
      const r = step(state, input, T + i);
      checker.afterStep(state, input, r.state, r.commands, i);
      state = r.state;
    }
    checker.commit();
    const nul: HubInput = { type: 'messagesReceived', link: 10 as never, messages: [{ seq: 1, ack: 0, body: { type: 'null', replyTo: 0 } }] };
    const r = step(state, nul, T + 9);
    expect(checker.afterStep(state, nul, r.state, r.commands, 2)).toBeNull();
    // Stepping from the old state again (as after a crash) is seqBackwards unless the checker rolls back.
    const again = step(state, { type: 'timerFired' }, T + 10);
    const touch = [...again.commands, { type: 'log', level: 'info', event: 'x', clientId: 100 as never, detail: {} } as HubCommand];
    expect(checker.afterStep(state, { type: 'timerFired' }, again.state, touch, 3)).toMatchObject({ kind: 'seqBackwards', clientId: 100 });
    checker.rollback();
    expect(checker.afterStep(state, { type: 'timerFired' }, again.state, touch, 3)).toBeNull();
  });

  it('catches a hub that handles a message that never arrived (a skipped seq)', () => {
    const { checker, state } = build(base);
    const gap: HubInput = { type: 'messagesReceived', link: 10 as never, messages: [{ seq: 2, ack: 0, body: { type: 'null', replyTo: 0 } }] };
    const r = step(state, gap, T + 5);
    expect(checker.afterStep(state, gap, r.state, r.commands, 2)).toBeNull();
    const session = r.state.sessions.get(10)!;
    const skipped: HubState = Object.freeze({ ...r.state, sessions: r.state.sessions.set(10, { ...session, dialog: { ...session.dialog, inSeq: 2 } }) });
    expect(new CoreChecker().afterStep(state, gap, skipped, r.commands, 2)).toMatchObject({ kind: 'seqSkipped', clientId: 100 });
  });

  it('catches a refused request that changed the requester', () => {
    const { checker, state } = build(base);
    const bad: HubInput = {
      type: 'requestReceived',
      link: 12 as never,
      request: { kind: 'login', requestId: 2, clientId: 100 as never, credential: { secret: 'wrong' }, environment: null, lastReceived: 0 },
    };
    const r = step(state, bad, T + 5);
    expect(r.commands.some((c) => c.type === 'reply' && c.answer.code === 'rejected')).toBe(true);
    expect(checker.afterStep(state, bad, r.state, r.commands, 2)).toBeNull();
    const c = r.state.clients.get(100)!;
    const tampered: HubState = Object.freeze({ ...r.state, clients: r.state.clients.set(100, { ...c, verifier: '0'.repeat(64) }) });
    expect(checker.afterStep(state, bad, tampered, r.commands, 2)).toMatchObject({ kind: 'refusalChangedState', clientId: 100 });
  });
});
