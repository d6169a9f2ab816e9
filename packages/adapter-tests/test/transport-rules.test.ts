/**
 * The contract checker judges records, so it is tested on records: one
 * clean run, and one record per way an adapter can break rules 3, 4 and 5.
 */
import { clientId, linkId, type CommandId, type LinkId } from '@dialoghub/core';
import type { TransportCommand, TransportEvent } from '@dialoghub/runtime';
import { describe, expect, test } from 'vitest';
import { checkTransportRules, type TransportRecordEntry } from '../src/index.js';

const L = linkId(5);
const request = (link: LinkId, requestId = 1): TransportRecordEntry => ({
  kind: 'fact',
  event: { type: 'requestReceived', link, request: { kind: 'profiles', requestId, clientId: clientId(1) } },
});
const lost = (link: LinkId): TransportRecordEntry => ({ kind: 'fact', event: { type: 'connectionClosed', link, cause: 'peerClosed' } });
const command = (type: TransportCommand['type'], link: LinkId): TransportCommand => {
  const commandId = 1 as CommandId;
  switch (type) {
    case 'reply':
      return { type, commandId, link, requestId: 1, answer: { code: 'reset', clientId: clientId(1) } };
    case 'writeDialog':
      return { type, commandId, link, clientId: clientId(1), messages: [] };
    case 'close':
      return { type, commandId, link, clientId: null, reason: 'kicked', reconnect: false };
  }
};
const exec = (call: number, type: TransportCommand['type'], link: LinkId = L): TransportRecordEntry => ({ kind: 'execute', call, command: command(type, link) });
const ok = (call: number): TransportRecordEntry => ({ kind: 'settled', call, ok: true, error: null });
const failed = (call: number): TransportRecordEntry => ({ kind: 'settled', call, ok: false, error: 'gone' });

describe('checkTransportRules', () => {
  test('a clean run has no problems', () => {
    expect(
      checkTransportRules([request(L), exec(1, 'reply'), ok(1), exec(2, 'close'), ok(2), exec(3, 'writeDialog'), failed(3), request(linkId(6)), { kind: 'stop' }, { kind: 'stopped' }]),
    ).toEqual([]);
  });

  test('rule 4: connectionClosed after the hub closed the link', () => {
    expect(checkTransportRules([request(L), exec(1, 'close'), ok(1), lost(L)])).toEqual(['rule 4: connectionClosed for link 5 after the hub had closed it']);
  });

  test('rule 4: connectionClosed for a link that stop() closed', () => {
    expect(checkTransportRules([request(L), { kind: 'stop' }, lost(L), { kind: 'stopped' }])).toEqual(['rule 4: connectionClosed for link 5 after the hub had closed it']);
  });

  test('rule 4: a lost link reported twice', () => {
    expect(checkTransportRules([request(L), lost(L), lost(L)])).toEqual(['rule 4: a second connectionClosed for link 5']);
  });

  test('rule 3: a command for a dead link that "succeeds"', () => {
    expect(checkTransportRules([request(L), lost(L), exec(1, 'writeDialog'), ok(1)])).toEqual(['rule 3: writeDialog for link 5 succeeded although it was reported lost']);
    expect(checkTransportRules([request(L), exec(1, 'close'), ok(1), exec(2, 'reply'), ok(2)])).toEqual(['rule 3: reply for link 5 succeeded although the hub had closed it']);
    expect(checkTransportRules([request(L), { kind: 'stop' }, exec(1, 'reply'), ok(1)])).toEqual(['rule 3: reply for link 5 succeeded although the hub had closed it']);
  });

  test('rule 3: a command issued while the link was open may settle after it closed', () => {
    expect(checkTransportRules([request(L), exec(1, 'writeDialog'), lost(L), ok(1)])).toEqual([]);
  });

  test('rule 3: execute must reject, not throw', () => {
    expect(checkTransportRules([request(L), exec(1, 'reply'), { kind: 'threw', call: 1, error: 'Error: boom' }])).toEqual([
      'rule 3: execute (call 1) threw instead of rejecting: Error: boom',
    ]);
  });

  test('rule 5: link ids are unsigned 32-bit integers', () => {
    expect(checkTransportRules([request(linkId(-1)), request(linkId(2 ** 32)), request(linkId(1.5))])).toHaveLength(3);
  });

  test('rule 5: an id may be reused once its link is closed', () => {
    expect(checkTransportRules([request(L), lost(L), request(L, 2), lost(L), request(L, 3), exec(1, 'close'), ok(1), request(L, 4), lost(L)])).toEqual([]);
  });

  test('no facts once stop() has resolved', () => {
    const late: TransportEvent = { type: 'messagesReceived', link: linkId(9), messages: [] };
    expect(checkTransportRules([{ kind: 'stop' }, { kind: 'stopped' }, { kind: 'fact', event: late }])).toEqual(['a messagesReceived fact on link 9 came after stop() had resolved']);
  });
});
