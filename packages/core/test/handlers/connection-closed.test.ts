/**
 * connectionClosed: the transport lost a link. The client goes offline with
 * its status and dialog kept; nobody is told on a link that is gone.
 */
import { describe, expect, test } from 'vitest';
import { nextDeadline } from '../../src/step.js';
import {
  cid,
  clientOf,
  closed,
  cmd,
  commit,
  dialogOf,
  expectInvariants,
  hubWith,
  linkOf,
  logCmd,
  login,
  msg,
  offlineEvent,
  okAnswer,
  onlineEvent,
  profileOf,
  replyCmd,
  result,
  send,
  stepF,
  writeCmd,
} from '../helpers.js';

describe('connectionClosed', () => {
  test('a link with a session: logged, the client goes offline (connectionLost), no close command', () => {
    const s = hubWith({ clients: [{ id: 10, profileId: 1, link: 1 }] });
    const r = stepF(s, { type: 'connectionClosed', link: 1 as never, cause: 'ECONNRESET' });
    expect(r).toEqual(result([commit, logCmd('info', 'connectionLost', 10, { link: 1, cause: 'ECONNRESET' }), offlineEvent(10, 1, 'connectionLost')]));
    expect(linkOf(r.state, 10)).toBeUndefined();
    expect(clientOf(r.state, 10).status).toBe('enabled');
    expect(profileOf(r.state, 1).enabledClient).toBe(10);
    expect(nextDeadline(r.state)).toBeUndefined();
    expectInvariants(r.state);
  });

  test('a link without a session is nothing to the hub: no commands, same state', () => {
    const s = hubWith({ clients: [{ id: 10, profileId: 1, link: 1 }] });
    const r = closed(s, 2);
    expect(r).toEqual({ state: s, commands: [] });
  });

  test('the dialog is kept: the next login continues both sequence spaces and resends the unacknowledged', () => {
    let s = hubWith({ clients: [{ id: 10, profileId: 1, link: 1 }], config: { appMessageTypes: ['chat'] } });
    s = send(s, 1, [msg(1, 0, { type: 'null', replyTo: 0 })]).state;
    s = stepF(s, { type: 'appMessageSent', actionId: 'a', to: { clientId: cid(10) }, appType: 'chat', payload: new Uint8Array([1]), replyTo: 0 }).state;
    s = closed(s, 1).state;
    expect(dialogOf(s, 10)).toMatchObject({ inSeq: 1, outSeq: 1, outbox: [{ seq: 1 }] });
    const r = login(s, { link: 2, clientId: 10 });
    expect(r).toEqual(
      result([
        commit,
        replyCmd(cmd(s, 0), 2, 7, okAnswer(10, { lastReceived: 1, lastSent: 1 })),
        writeCmd(cmd(s, 1), 2, 10, [msg(1, 1, { type: 'app', appType: 'chat', payload: new Uint8Array([1]), replyTo: 0 })]),
        onlineEvent(10, 2, 'login'),
      ]),
    );
    expectInvariants(r.state);
  });
});
