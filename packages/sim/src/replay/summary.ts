/**
 * Theory of operation: one-line, human-readable summaries of core inputs and
 * commands, for a replay report's context and the timeline's tooltips.
 *
 * They are for people, not machines: bounded in length (a batch of messages
 * shows its first few), deterministic (object keys in sorted order), and
 * never contain a payload's bytes beyond a short hex prefix. Inputs in a
 * trace are already redacted (docs/trace-format.md §4), so a credential shows
 * as its kind only.
 */
import type { DialogMessage, HubCommand, HubEvent, HubInput, MessageBody, Request } from '@dialoghub/core';

/** At most this many messages of a batch are listed; the rest are counted. */
const MESSAGES_SHOWN = 4;
const TEXT_SHOWN = 40;

/** A value as a short literal: strings quoted and cut, byte arrays as length plus a hex prefix. */
export function showValue(value: unknown, depth = 0): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value.length > TEXT_SHOWN ? `${value.slice(0, TEXT_SHOWN)}…` : value);
    case 'number':
    case 'boolean':
    case 'bigint':
      return String(value);
    case 'object':
      break;
    default:
      return typeof value;
  }
  if (value instanceof Uint8Array) return showBytes(value);
  if (depth >= 2) return Array.isArray(value) ? `[…${value.length}]` : '{…}';
  if (Array.isArray(value)) {
    const shown = value.slice(0, MESSAGES_SHOWN).map((v) => showValue(v, depth + 1));
    if (value.length > MESSAGES_SHOWN) shown.push(`…+${value.length - MESSAGES_SHOWN}`);
    return `[${shown.join(', ')}]`;
  }
  const keys = Object.keys(value).sort();
  return `{${keys.map((k) => `${k}: ${showValue((value as Record<string, unknown>)[k], depth + 1)}`).join(', ')}}`;
}

/** `bytes(12) 0a1b2c…`: the length and the first 8 bytes in hex. */
export function showBytes(bytes: Uint8Array): string {
  let hex = '';
  const n = Math.min(bytes.length, 8);
  for (let i = 0; i < n; i++) hex += bytes[i]!.toString(16).padStart(2, '0');
  return `bytes(${bytes.length})${n > 0 ? ` ${hex}${bytes.length > n ? '…' : ''}` : ''}`;
}

function body(b: MessageBody): string {
  switch (b.type) {
    case 'app':
      return `app ${showValue(b.appType)} ${b.payload.length} B${b.replyTo !== 0 ? ` re ${b.replyTo}` : ''}`;
    case 'null':
      return b.replyTo !== 0 ? `null re ${b.replyTo}` : 'null';
    case 'ok':
      return `ok re ${b.replyTo}`;
    case 'refused':
      return `refused re ${b.replyTo} ${showValue(b.reason)}`;
    case 'log':
      return `log${b.isError ? ' error' : ''} ${showValue(b.text)}`;
    case 'setInfo':
      return 'setInfo';
    case 'sync':
    case 'close':
    case 'ack':
      return b.type;
    default: {
      const never: never = b;
      return String((never as { type?: unknown }).type);
    }
  }
}

/** `#3 app "chat" 12 B, #4 null (ack 2)`. */
export function summariseMessages(messages: readonly DialogMessage[]): string {
  if (messages.length === 0) return 'no messages';
  const parts = messages.slice(0, MESSAGES_SHOWN).map((m) => (m.seq === 0 && m.body.type === 'ack' ? `ack ${m.ack}` : `#${m.seq} ${body(m.body)}`));
  if (messages.length > MESSAGES_SHOWN) parts.push(`…+${messages.length - MESSAGES_SHOWN}`);
  const last = messages[messages.length - 1]!;
  return `${parts.join(', ')} (ack ${last.ack})`;
}

function request(r: Request): string {
  switch (r.kind) {
    case 'register':
      return `register client ${r.clientId} in profile ${r.profileId} (req ${r.requestId})`;
    case 'profiles':
      return `profiles for client ${r.clientId} (req ${r.requestId})`;
    case 'start':
    case 'resume':
    case 'sync':
    case 'login':
      return `${r.kind} client ${r.clientId} (req ${r.requestId}, lastReceived ${r.lastReceived})`;
    default: {
      const never: never = r;
      return String((never as { kind?: unknown }).kind);
    }
  }
}

/** One line for an input. */
export function summariseInput(input: HubInput): string {
  switch (input.type) {
    case 'requestReceived':
      return `requestReceived link ${input.link}: ${request(input.request)}${input.denied === true ? ' denied' : ''}`;
    case 'messagesReceived':
      return `messagesReceived link ${input.link}: ${summariseMessages(input.messages)}`;
    case 'connectionClosed':
      return `connectionClosed link ${input.link} (cause ${showValue(input.cause)})`;
    case 'commandFailed':
      return `commandFailed #${input.commandId} ${input.command} link ${input.link}: ${showValue(input.reason)}`;
    case 'timerFired':
      return 'timerFired';
    case 'appMessageSent':
      return `appMessageSent ${showValue(input.actionId)} to ${'clientId' in input.to ? `client ${input.to.clientId}` : `profile ${input.to.profileId}`}: ${showValue(input.appType)} ${input.payload.length} B${input.replyTo !== 0 ? ` re ${input.replyTo}` : ''}`;
    case 'appMessageHandled':
      return `appMessageHandled client ${input.clientId} #${input.seq}`;
    case 'profileCreated':
      return `profileCreated ${showValue(input.actionId)} profile ${input.profileId} ${showValue(input.name)}${input.mode !== undefined ? ` ${input.mode}` : ''}${input.policy != null ? ` ${input.policy}` : ''}`;
    case 'profileRenamed':
      return `profileRenamed ${showValue(input.actionId)} profile ${input.profileId} ${showValue(input.name)}`;
    case 'profileRemoved':
      return `profileRemoved ${showValue(input.actionId)} profile ${input.profileId}`;
    case 'profileModeSet':
      return `profileModeSet ${showValue(input.actionId)} profile ${input.profileId} ${input.mode}`;
    case 'profilePolicySet':
      return `profilePolicySet ${showValue(input.actionId)} profile ${input.profileId} ${String(input.policy)}`;
    case 'statusSet':
      return `statusSet ${showValue(input.actionId)} client ${input.clientId} → ${input.status}`;
    case 'clientKicked':
      return `clientKicked ${showValue(input.actionId)} client ${input.clientId}`;
    case 'clientDeleted':
      return `clientDeleted ${showValue(input.actionId)} client ${input.clientId}`;
    default: {
      const never: never = input;
      return `unknown input ${showValue((never as { type?: unknown }).type)}`;
    }
  }
}

/** One line for an event of a `notify` command. */
export function summariseEvent(e: HubEvent): string {
  switch (e.type) {
    case 'clientRegistered':
      return `clientRegistered client ${e.clientId} profile ${e.profileId}`;
    case 'clientOnline':
      return `clientOnline client ${e.clientId} link ${e.link} via ${e.via}`;
    case 'clientOffline':
      return `clientOffline client ${e.clientId} link ${e.link} (${e.reason})`;
    case 'takeover':
      return `takeover profile ${e.profileId} ${e.conflict}: ${e.winner} wins over ${e.loser} (${e.reason})`;
    case 'statusChanged':
      return `statusChanged client ${e.clientId} ${e.from} → ${e.to} (${e.cause})`;
    case 'profileChanged':
      return `profileChanged profile ${e.profileId} ${e.change}`;
    case 'requestRejected':
      return `requestRejected client ${e.clientId} ${e.request} (${e.reason})`;
    case 'clientDeleted':
      return `clientDeleted client ${e.clientId}`;
    default: {
      const never: never = e;
      return `unknown event ${showValue((never as { type?: unknown }).type)}`;
    }
  }
}

/** One line for a command. */
export function summariseCommand(c: HubCommand): string {
  switch (c.type) {
    case 'commit':
      return 'commit';
    case 'reply': {
      const a = c.answer;
      const what =
        a.code === 'ok'
          ? `ok client ${a.clientId} ${a.status} (lastReceived ${a.lastReceived}, lastSent ${a.lastSent})`
          : a.code === 'rejected'
            ? `rejected client ${a.clientId} (${a.reason})`
            : `${a.code} client ${a.clientId}`;
      return `reply #${c.commandId} link ${c.link} req ${c.requestId}: ${what}`;
    }
    case 'writeDialog':
      return `writeDialog #${c.commandId} link ${c.link} client ${c.clientId}: ${summariseMessages(c.messages)}`;
    case 'close':
      return `close #${c.commandId} link ${c.link}${c.clientId !== null ? ` client ${c.clientId}` : ''}: ${c.reason}${c.reconnect ? ' (may reconnect)' : ''}`;
    case 'deliver':
      return `deliver client ${c.clientId} #${c.seq} ${showValue(c.appType)} ${c.payload.length} B`;
    case 'notify':
      return `notify ${summariseEvent(c.event)}`;
    case 'actionResult':
      return `actionResult ${showValue(c.actionId)} ${c.ok ? 'ok' : `refused (${String(c.reason)})`}`;
    case 'log':
      return `log ${c.level} ${c.event}${c.clientId !== null ? ` client ${c.clientId}` : ''} ${showValue(c.detail)}`;
    default: {
      const never: never = c;
      return `unknown command ${showValue((never as { type?: unknown }).type)}`;
    }
  }
}

/** `#12 @+3.250s requestReceived … → commit, reply …` for a record. */
export function summariseRecord(record: { readonly seq: number; readonly now: number; readonly input: HubInput; readonly commands?: readonly HubCommand[] }, origin?: number): string {
  const at = origin === undefined ? String(record.now) : formatOffset(record.now - origin);
  const cmds = record.commands === undefined ? '' : ` → ${record.commands.length === 0 ? '(no commands)' : record.commands.map((c) => (c.type === 'commit' ? 'commit' : c.type === 'notify' ? `notify ${c.event.type}` : c.type === 'log' ? `log ${c.event}` : c.type)).join(', ')}`;
  return `#${record.seq} @${at} ${summariseInput(record.input)}${cmds}`;
}

/** A duration in ms as `+1h02m03.250s`, `+3.250s`, `-0.005s`. */
export function formatOffset(ms: number): string {
  const sign = ms < 0 ? '-' : '+';
  let rest = Math.abs(ms);
  const h = Math.floor(rest / 3_600_000);
  rest -= h * 3_600_000;
  const m = Math.floor(rest / 60_000);
  rest -= m * 60_000;
  const s = (rest / 1000).toFixed(3);
  if (h > 0) return `${sign}${h}h${String(m).padStart(2, '0')}m${s.padStart(6, '0')}s`;
  if (m > 0) return `${sign}${m}m${s.padStart(6, '0')}s`;
  return `${sign}${s}s`;
}
