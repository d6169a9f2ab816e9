/**
 * The simulated client on its own, driven by a scripted host: the client side
 * of protocol v1 step by step.
 */
import type { Answer, DialogMessage, Request } from '@dialoghub/core';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  DEFAULT_BEHAVIOUR,
  Rng,
  SimClient,
  T_ACK,
  T_CONNECT,
  T_GAP,
  T_REQUEST,
  type ClientHost,
} from '../src/index.js';

class ScriptedHost implements ClientHost {
  now = 1_000;
  readonly rng = new Rng(1);
  connects = 0;
  requests: { link: number; request: Request }[] = [];
  sent: { link: number; messages: DialogMessage[] }[] = [];
  dropped: number[] = [];
  timers = new Map<number, number>();
  acked: number[] = [];
  received: number[] = [];
  violations: string[] = [];
  counts: string[] = [];
  connect(): void {
    this.connects++;
  }
  sendRequest(_c: SimClient, link: number, request: Request): void {
    this.requests.push({ link, request });
  }
  sendMessages(_c: SimClient, link: number, messages: DialogMessage[]): void {
    this.sent.push({ link, messages });
  }
  dropLink(_c: SimClient, link: number): void {
    this.dropped.push(link);
  }
  setTimer(c: SimClient, slot: number, at: number): void {
    c.gens[slot]!++;
    this.timers.set(slot, at);
  }
  clientIdChanged(): void {}
  onAcked(_c: SimClient, seq: number): void {
    this.acked.push(seq);
  }
  onReceivedApp(_c: SimClient, seq: number): void {
    this.received.push(seq);
  }
  violation(_c: SimClient, kind: string, message: string): void {
    this.violations.push(`${kind}: ${message}`);
  }
  count(event: string): void {
    this.counts.push(event);
  }
  /** Fires the timer of `slot`. */
  fire(c: SimClient, slot: number): void {
    this.now = Math.max(this.now, this.timers.get(slot) ?? this.now);
    this.timers.delete(slot);
    c.onTimer(slot);
  }
}

const behaviour = { ...DEFAULT_BEHAVIOUR, heartbeatMs: 240_000, clientDeadMs: 960_000, relaunchFraction: 0 };
const traits = { profileId: 7, baseLatency: 10, quiet: false, usesStart: false, flapper: false, restarter: false };

function ok(clientId: number, secret: string | null, lastReceived: number, lastSent: number): Answer {
  return { code: 'ok', clientId: clientId as never, status: 'enabled', secret, lastReceived, lastSent };
}

describe('SimClient', () => {
  let host: ScriptedHost;
  let c: SimClient;

  /** Launch, connect on link 1, register, and get the secret. */
  function registered(): void {
    c.launch();
    c.onConnected(1);
    const r = host.requests.at(-1)!.request;
    c.onReply(1, r.requestId, ok(c.clientId, 'the-secret', 0, 0));
  }

  beforeEach(() => {
    host = new ScriptedHost();
    c = new SimClient(0, 1, traits, host, behaviour);
  });

  it('registers in its profile with a fresh non-zero id and keeps the secret of the ok answer', () => {
    c.launch();
    expect(host.connects).toBe(1);
    c.onConnected(1);
    const r = host.requests[0]!.request;
    expect(r).toMatchObject({ kind: 'register', clientId: c.clientId, profileId: 7 });
    expect(c.clientId).toBeGreaterThan(0);
    expect(host.timers.has(T_REQUEST)).toBe(true);
    c.onReply(1, r.requestId, ok(c.clientId, 'the-secret', 0, 0));
    expect(c.phase).toBe('online');
    expect(c.secret).toBe('the-secret');
    expect(c.registered).toBe(true);
  });

  it('keeps the latest secret when a repeated registration is answered again', () => {
    registered();
    const rid = c.regRequestId;
    c.onReply(1, rid, ok(c.clientId, 'second-secret', 0, 0));
    expect(c.secret).toBe('second-secret');
  });

  it('ignores answers naming another client (B14) or a stale request', () => {
    c.launch();
    c.onConnected(1);
    const r = host.requests[0]!.request;
    c.onReply(1, r.requestId, ok(c.clientId + 1, 'x', 0, 0));
    expect(c.phase).toBe('requesting');
    c.onReply(1, r.requestId + 99, ok(c.clientId, null, 0, 0));
    expect(c.phase).toBe('requesting');
  });

  it('answers a Sync with a Null that acknowledges it, and numbers its messages from 1', () => {
    registered();
    c.onDialog(1, [{ seq: 1, ack: 0, body: { type: 'sync' } }]);
    expect(host.sent.at(-1)).toEqual({ link: 1, messages: [{ seq: 1, ack: 1, body: { type: 'null', replyTo: 1 } }] });
    expect(c.lastReceived).toBe(1);
  });

  it('drops duplicates, holds out-of-order messages, and acknowledges with a delayed bare ack', () => {
    registered();
    const push = (seq: number): DialogMessage => ({ seq, ack: 0, body: { type: 'app', appType: 'chat', payload: new Uint8Array(16), replyTo: 0 } });
    c.onDialog(1, [push(2)]);
    expect(c.lastReceived).toBe(0);
    expect(host.timers.has(T_GAP)).toBe(true);
    c.onDialog(1, [push(1), push(1)]);
    expect(c.lastReceived).toBe(2);
    expect(host.received).toEqual([1, 2]);
    expect(host.timers.has(T_ACK)).toBe(true);
    host.fire(c, T_ACK);
    expect(host.sent.at(-1)).toEqual({ link: 1, messages: [{ seq: 0, ack: 2, body: { type: 'ack' } }] });
  });

  it('asks for a resend with a sync request on the same link when a gap lasts', () => {
    registered();
    c.onDialog(1, [{ seq: 3, ack: 0, body: { type: 'ok', replyTo: 1 } }]);
    host.fire(c, T_GAP);
    expect(host.requests.at(-1)).toMatchObject({ link: 1, request: { kind: 'sync', credential: { secret: 'the-secret' }, lastReceived: 0 } });
  });

  it('resends unacknowledged messages when a bare ack shows a gap, and reports acknowledged chat messages', () => {
    registered();
    host.fire(c, 2 /* T_APP */);
    host.fire(c, 2);
    expect(c.outSeq).toBe(2);
    host.now += 10_000;
    c.onDialog(1, [{ seq: 0, ack: 1, body: { type: 'ack' } }]);
    const resent = host.sent.at(-1)!.messages.map((m) => m.seq);
    expect(resent).toEqual([2]);
    c.onDialog(1, [{ seq: 0, ack: 2, body: { type: 'ack' } }]);
    expect(c.unacked).toEqual([]);
  });

  it('logs in again with its secret and lastReceived after a transport loss, with backoff', () => {
    registered();
    c.onDialog(1, [{ seq: 1, ack: 0, body: { type: 'sync' } }]);
    c.onLinkLost(1);
    expect(c.phase).toBe('backoff');
    expect(host.timers.get(T_CONNECT)).toBeGreaterThan(host.now);
    host.fire(c, T_CONNECT);
    expect(host.connects).toBe(2);
    c.onConnected(2);
    expect(host.requests.at(-1)!.request).toMatchObject({ kind: 'login', credential: { secret: 'the-secret' }, lastReceived: 1 });
    // The ok says the hub handled nothing yet: the Null is resent on the new link.
    c.onReply(2, host.requests.at(-1)!.request.requestId, ok(c.clientId, null, 0, 1));
    expect(host.sent.at(-1)).toEqual({ link: 2, messages: [{ seq: 1, ack: 1, body: { type: 'null', replyTo: 1 } }] });
  });

  it('stops (terminal) on a close whose reconnect is false, and does not reconnect by itself', () => {
    registered();
    c.onClose(1, 'pushedOut', false);
    expect(c.phase).toBe('terminal');
    expect(host.counts).toContain('terminal:closed:pushedOut');
    expect(host.timers.has(T_CONNECT)).toBe(false);
  });

  it('uses resume after it learnt it was disabled, when it is a start/resume client', () => {
    c = new SimClient(0, 1, { ...traits, usesStart: true }, host, behaviour);
    registered();
    c.onClose(1, 'replaced', false);
    expect(c.believed).toBe('disabled');
    c.onTimer(T_CONNECT); // the user relaunches it
    c.onConnected(2);
    expect(host.requests.at(-1)!.request.kind).toBe('resume');
  });

  it('reports a hub that forgot what it acknowledged before the client asked', () => {
    registered();
    host.fire(c, 2);
    c.onDialog(1, [{ seq: 0, ack: 1, body: { type: 'ack' } }]);
    c.onLinkLost(1);
    host.fire(c, T_CONNECT);
    c.onConnected(2);
    c.onReply(2, host.requests.at(-1)!.request.requestId, ok(c.clientId, null, 0, 0));
    expect(host.violations).toEqual([expect.stringMatching(/^ackedLost/)]);
  });
});
