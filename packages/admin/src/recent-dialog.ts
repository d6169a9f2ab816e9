/**
 * Theory of operation: the core keeps a client's unacknowledged outbox, not
 * its history, so the console remembers the latest dialog messages itself,
 * from the hub's loop (`Hub.observe`): a `messagesReceived` input is the
 * client→hub direction, a `writeDialog` command the hub→client one.
 *
 * A `messagesReceived` names a link, not a client; the link → client map is
 * kept from the `clientOnline`/`clientOffline` notifications in the same
 * stream of steps, and looked up *before* the step's own commands update it
 * (a Close ends the session in the very step that carries it).
 *
 * Memory is bounded twice: `perClient` messages per client, and `clients`
 * clients (the least recently active is forgotten first). None of it is
 * durable: it is what this console saw since it started.
 */
import type { DialogMessage, HubCommand, HubState, MessageBody } from '@dialoghub/core';
import type { JournalRecord } from '@dialoghub/runtime';
import type { RecentMessage } from './api-types.js';

/** Bounds of the rings. */
export interface RecentDialogOptions {
  /** Messages kept per client. Default 50. */
  readonly perClient?: number;
  /** Clients kept. Default 10 000. */
  readonly clients?: number;
}

const TEXT_MAX = 120;

function clip(text: string): string {
  return text.length <= TEXT_MAX ? text : `${text.slice(0, TEXT_MAX - 1)}…`;
}

/** A one-line description of a message body. */
export function describeBody(body: MessageBody): string {
  switch (body.type) {
    case 'sync':
    case 'close':
    case 'ack':
      return body.type;
    case 'null':
      return body.replyTo === 0 ? 'null' : `null (reply to ${body.replyTo})`;
    case 'ok':
      return `ok (reply to ${body.replyTo})`;
    case 'refused':
      return `refused ${body.reason} (reply to ${body.replyTo})`;
    case 'setInfo':
      return clip(`setInfo ${body.contact.name} / ${body.contact.phone} / ${body.contact.email}`);
    case 'log':
      return clip(`log${body.isError ? ' (error)' : ''}: ${body.text}`);
    case 'app':
      return `app ${body.appType}, ${body.payload.length} bytes${body.replyTo !== 0 ? ` (reply to ${body.replyTo})` : ''}`;
    default: {
      const never: never = body;
      return String((never as { type: unknown }).type);
    }
  }
}

/** The per-client rings of recent dialog messages; feed it every step. */
export class RecentDialog {
  private readonly rings = new Map<number, RecentMessage[]>();
  private readonly links = new Map<number, number>();
  private readonly perClient: number;
  private readonly maxClients: number;

  constructor(state: HubState, options: RecentDialogOptions = {}) {
    this.perClient = options.perClient ?? 50;
    this.maxClients = options.clients ?? 10_000;
    for (const s of state.sessions.values()) this.links.set(s.link as number, s.clientId as number);
  }

  /** Records what one step shows of the dialogs (a `Hub.observe` step callback). */
  step(record: JournalRecord, commands: readonly HubCommand[]): void {
    const input = record.input;
    if (input.type === 'messagesReceived') {
      const client = this.links.get(input.link as number);
      if (client !== undefined) this.push(client, record.now, 'in', input.messages);
    }
    for (const c of commands) {
      if (c.type === 'writeDialog') this.push(c.clientId as number, record.now, 'out', c.messages);
      else if (c.type === 'notify') {
        const e = c.event;
        if (e.type === 'clientOnline') this.links.set(e.link as number, e.clientId as number);
        else if (e.type === 'clientOffline' && this.links.get(e.link as number) === e.clientId) this.links.delete(e.link as number);
        else if (e.type === 'clientDeleted') this.rings.delete(e.clientId as number);
      }
    }
  }

  /** The client's recent messages, oldest first. */
  of(clientId: number): readonly RecentMessage[] {
    return this.rings.get(clientId) ?? [];
  }

  /** Number of clients with a ring (for tests of the bound). */
  get size(): number {
    return this.rings.size;
  }

  private push(clientId: number, at: number, dir: 'in' | 'out', messages: readonly DialogMessage[]): void {
    let ring = this.rings.get(clientId);
    if (ring === undefined) ring = [];
    // Re-inserted so the map's order is least recently active first.
    else this.rings.delete(clientId);
    this.rings.set(clientId, ring);
    const tail = messages.length > this.perClient ? messages.slice(-this.perClient) : messages;
    for (const m of tail) {
      // Malformed messages are the core's to refuse; describe what is describable.
      const type = typeof m?.body?.type === 'string' ? m.body.type : '?';
      let text: string;
      try {
        text = describeBody(m.body);
      } catch {
        text = type;
      }
      ring.push({ at, dir, seq: Number(m?.seq) || 0, ack: Number(m?.ack) || 0, type, text });
    }
    if (ring.length > this.perClient) ring.splice(0, ring.length - this.perClient);
    while (this.rings.size > this.maxClients) {
      const oldest = this.rings.keys().next().value as number;
      this.rings.delete(oldest);
    }
  }
}
