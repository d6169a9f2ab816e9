/**
 * appMessageHandled: the application confirms an application message it was
 * handed (`deliver`). Until then the message stays in the client's durable
 * `unconfirmed` list, and `pendingDeliveries` hands it over again after a crash.
 */
import { describe, expect, test } from 'vitest';
import type { HubInput } from '../../src/inputs.js';
import type { HubState } from '../../src/state.js';
import { pendingDeliveries } from '../../src/step.js';
import { cid, closed, commit, dialogOf, expectInvariants, hubWith, logCmd, msg, result, send, stepF } from '../helpers.js';

const handled = (clientId: number, seq: number): HubInput => ({ type: 'appMessageHandled', clientId: cid(clientId), seq });
const p = (n: number) => new Uint8Array([n]);
const deliver = (seq: number) => ({ type: 'deliver', clientId: 10, seq, appType: 'chat', payload: p(seq), replyTo: 0 });

/** Client 10 online on link 1 sent app messages 1..3; all handed over, none confirmed. */
function delivered(): HubState {
  const s = hubWith({ clients: [{ id: 10, profileId: 1, link: 1 }], config: { appMessageTypes: ['chat'] } });
  return send(s, 1, [1, 2, 3].map((q) => msg(q, 0, { type: 'app', appType: 'chat', payload: p(q), replyTo: 0 }))).state;
}

describe('appMessageHandled', () => {
  test('a confirmation removes the message from the unconfirmed list (in any order)', () => {
    const s = delivered();
    expect(pendingDeliveries(s)).toEqual([deliver(1), deliver(2), deliver(3)]);
    const r = stepF(s, handled(10, 2));
    expect(r).toEqual(result([commit]));
    expect(dialogOf(r.state, 10).unconfirmed.map((d) => d.seq)).toEqual([1, 3]);
    expect(pendingDeliveries(r.state)).toEqual([deliver(1), deliver(3)]);
    expectInvariants(r.state);
  });

  test('works while the client is offline (the dialog is in the client record)', () => {
    let s = closed(delivered(), 1).state;
    s = stepF(s, handled(10, 1)).state;
    expect(dialogOf(s, 10).unconfirmed.map((d) => d.seq)).toEqual([2, 3]);
    expectInvariants(s);
  });

  test('a second confirmation of the same message is logged unknownDelivery and changes nothing', () => {
    const s = stepF(delivered(), handled(10, 1)).state;
    expect(stepF(s, handled(10, 1))).toEqual({ state: s, commands: [logCmd('warn', 'unknownDelivery', 10, { clientId: 10, seq: 1 })] });
  });

  test('an unknown client is logged with no client', () => {
    const s = delivered();
    expect(stepF(s, handled(99, 1))).toEqual({ state: s, commands: [logCmd('warn', 'unknownDelivery', null, { clientId: 99, seq: 1 })] });
  });

  test('pendingDeliveries is empty when everything was confirmed', () => {
    let s = delivered();
    for (const q of [3, 1, 2]) s = stepF(s, handled(10, q)).state;
    expect(pendingDeliveries(s)).toEqual([]);
    expectInvariants(s);
  });
});
