/**
 * Theory of operation: the suite plays every client by hand. `SuitePeer`
 * wraps an adapter's dumb `TestPeer` with just enough protocol to write the
 * scenarios readably — build requests and messages, expect the next thing
 * the hub sends and fail with what actually came. It keeps no protocol state
 * of its own (no automatic acks or resends): each scenario says exactly what
 * the client sends, because what the client sends is what is under test.
 */
import type { Answer, ClientId, CloseReason, DialogMessage, Request } from '@dialoghub/core';
import type { ClientFrame, PeerEvent, TestPeer } from './harness.js';

const utf8 = new TextEncoder();
const text = new TextDecoder();

/** The application message type every scenario uses; listed in the suite hub's config. */
export const NOTE = 'test.note';
/** An application message type the suite hub answers with the same payload. */
export const ECHO = 'test.echo';

/** A client→hub application message with sequence number `seq`, acknowledging hub message `ack`. */
export function note(seq: number, ack: number, body: string, appType: string = NOTE): DialogMessage {
  return { seq, ack, body: { type: 'app', appType, payload: utf8.encode(body), replyTo: 0 } };
}

/** The payload bytes of `body`. */
export function bytes(body: string): Uint8Array {
  return utf8.encode(body);
}

/** The text of an application message payload. */
export function textOf(payload: Uint8Array): string {
  return text.decode(payload);
}

/** A bare acknowledgement of hub message `ack`. */
export function bareAck(ack: number): DialogMessage {
  return { seq: 0, ack, body: { type: 'ack' } };
}

/** One hub→client dialog message as a test compares it: seq, ack, and the body in brief. */
export interface Seen {
  readonly seq: number;
  readonly ack: number;
  /** `app:<text>` for application messages, otherwise the body type. */
  readonly body: string;
}

/** Brief form of a dialog message, for comparing what a peer received. */
export function seen(m: DialogMessage): Seen {
  return { seq: m.seq, ack: m.ack, body: m.body.type === 'app' ? `app:${textOf(m.body.payload)}` : m.body.type };
}

function describeEvent(e: PeerEvent): string {
  switch (e.kind) {
    case 'answer':
      return `answer to request ${e.requestId}: ${JSON.stringify(e.answer)}`;
    case 'dialog':
      return `dialog for client ${e.clientId}: ${JSON.stringify(e.messages.map(seen))}`;
    case 'close':
      return `close (${e.reason}, reconnect ${e.reconnect})`;
    case 'ended':
      return 'the end of the link';
    default: {
      const never: never = e;
      return JSON.stringify(never);
    }
  }
}

export class SuitePeer {
  /** The ids of the requests this peer sent, in order (unique in the world). */
  readonly requestIds: number[] = [];

  constructor(
    /** A name for failure messages. */
    readonly name: string,
    private readonly peer: TestPeer,
    private readonly nextRequestId: () => number,
  ) {}

  /** Sends a raw frame. */
  async send(frame: ClientFrame): Promise<void> {
    await this.peer.send(frame);
  }

  /** Sends a request with a fresh, suite-wide unique request id; returns that id. */
  async request(request: RequestWithoutId): Promise<number> {
    const requestId = this.nextRequestId();
    this.requestIds.push(requestId);
    await this.send({ kind: 'request', request: { ...request, requestId } as Request });
    return requestId;
  }

  /** Sends dialog messages for `clientId` in one frame. */
  async messages(clientId: ClientId, messages: readonly DialogMessage[]): Promise<void> {
    await this.send({ kind: 'dialog', clientId, messages });
  }

  /** Drops the connection abruptly. */
  async drop(): Promise<void> {
    await this.peer.drop();
  }

  /** The next thing the hub sent (or `ended`). */
  next(): Promise<PeerEvent> {
    return this.peer.receive();
  }

  /** Expects the next event to be of `kind`; fails with what came instead. */
  async expect<K extends PeerEvent['kind']>(kind: K, why = ''): Promise<Extract<PeerEvent, { kind: K }>> {
    const e = await this.next();
    if (e.kind !== kind) throw new Error(`${this.name}: expected ${kind}${why === '' ? '' : ` (${why})`}, got ${describeEvent(e)}`);
    return e as Extract<PeerEvent, { kind: K }>;
  }

  /** Expects the answer to request `requestId`. */
  async answer(requestId: number): Promise<Answer> {
    const e = await this.expect('answer', `to request ${requestId}`);
    if (e.requestId !== requestId) throw new Error(`${this.name}: expected the answer to request ${requestId}, got ${describeEvent(e)}`);
    return e.answer;
  }

  /** Expects the next event to be dialog messages; returns them in brief. */
  async dialog(why = ''): Promise<Seen[]> {
    const e = await this.expect('dialog', why);
    return e.messages.map(seen);
  }

  /** Expects a close frame and then the end of the link; returns the close frame. */
  async closed(why = ''): Promise<{ reason: CloseReason; reconnect: boolean }> {
    const e = await this.expect('close', why);
    await this.expect('ended', `after the close frame (${e.reason})`);
    return { reason: e.reason, reconnect: e.reconnect };
  }

  /** Registers `clientId` in `profileId`; expects `ok` and returns the secret the hub issued. */
  async register(clientId: ClientId, profileId: number): Promise<string> {
    const id = await this.request({
      kind: 'register',
      clientId,
      profileId: profileId as Extract<Request, { kind: 'register' }>['profileId'],
      contact: { name: this.name, phone: '', email: '' },
      environment: {},
    });
    const answer = await this.answer(id);
    if (answer.code !== 'ok' || answer.secret === null) throw new Error(`${this.name}: registration of ${clientId} was not ok: ${JSON.stringify(answer)}`);
    return answer.secret;
  }

  /** Sends a `login` request and returns the answer, whatever it is. */
  async login(clientId: ClientId, secret: string, lastReceived: number): Promise<Answer> {
    const id = await this.request({ kind: 'login', clientId, credential: { secret }, environment: null, lastReceived });
    return this.answer(id);
  }
}

/** A request without its id (the peer assigns one). */
export type RequestWithoutId = Request extends infer R ? (R extends unknown ? Omit<R, 'requestId'> : never) : never;

