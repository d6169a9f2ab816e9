/**
 * Theory of operation: defensive checks on what a peer sent, for inputs that
 * did not come through the wire codec (an embedding application may build
 * inputs itself). A failed check is data: the handler logs it and answers or
 * closes; nothing here throws.
 */
import type { Limits } from './config.js';
import { isU32, isU32Id } from './ids.js';
import type { DialogMessage } from './messages.js';
import type { Contact, Environment } from './model.js';
import type { Credential, Request } from './requests.js';

function text(v: unknown, limits: Limits): v is string {
  return typeof v === 'string' && v.length <= limits.maxTextLength;
}

export function validContact(c: unknown, limits: Limits): c is Contact {
  if (typeof c !== 'object' || c === null) return false;
  const o = c as Record<string, unknown>;
  return text(o['name'], limits) && text(o['phone'], limits) && text(o['email'], limits);
}

export function validEnvironment(e: unknown, limits: Limits): e is Environment {
  if (typeof e !== 'object' || e === null || Array.isArray(e)) return false;
  const entries = Object.entries(e);
  if (entries.length > limits.maxEnvironmentEntries) return false;
  return entries.every(([k, v]) => k.length > 0 && text(k, limits) && text(v, limits));
}

function validCredential(c: unknown): c is Credential {
  if (typeof c !== 'object' || c === null) return false;
  const o = c as Record<string, unknown>;
  if ('secret' in o) return typeof o['secret'] === 'string' && o['secret'].length > 0 && o['secret'].length <= 1024;
  return typeof o['verifier'] === 'string' && /^[0-9a-f]{64}$/.test(o['verifier']);
}

/** Returns a description of what is wrong with a request, or null when it is well formed. */
export function requestProblem(r: Request, limits: Limits): string | null {
  if (typeof r !== 'object' || r === null) return 'not an object';
  if (!isU32(r.requestId)) return 'requestId';
  if (!isU32Id(r.clientId)) return 'clientId';
  switch (r.kind) {
    case 'register':
      if (!isU32Id(r.profileId)) return 'profileId';
      if (!validContact(r.contact, limits)) return 'contact';
      if (!validEnvironment(r.environment, limits)) return 'environment';
      return null;
    case 'start':
      if (!validEnvironment(r.environment, limits)) return 'environment';
      return validCredential(r.credential) ? (isU32(r.lastReceived) ? null : 'lastReceived') : 'credential';
    case 'login':
      if (r.environment !== null && !validEnvironment(r.environment, limits)) return 'environment';
      return validCredential(r.credential) ? (isU32(r.lastReceived) ? null : 'lastReceived') : 'credential';
    case 'resume':
    case 'sync':
      return validCredential(r.credential) ? (isU32(r.lastReceived) ? null : 'lastReceived') : 'credential';
    case 'profiles':
      return null;
    default:
      return 'kind';
  }
}

/** Returns a description of what is wrong with a dialog message from a client, or null. */
export function messageProblem(m: DialogMessage, limits: Limits): string | null {
  if (typeof m !== 'object' || m === null) return 'not an object';
  if (!isU32(m.seq) || !isU32(m.ack)) return 'seq/ack';
  const b = m.body;
  if (typeof b !== 'object' || b === null) return 'body';
  if ((m.seq === 0) !== (b.type === 'ack')) return 'seq 0 is only for a bare ack';
  switch (b.type) {
    case 'null':
    case 'ok':
      return isU32(b.replyTo) ? null : 'replyTo';
    case 'refused':
      return isU32(b.replyTo) && text(b.reason, limits) ? null : 'refused';
    case 'setInfo':
      if (!validContact(b.contact, limits)) return 'contact';
      if (b.clientId !== undefined && !isU32(b.clientId)) return 'clientId';
      if (b.profileId !== undefined && !isU32(b.profileId)) return 'profileId';
      return null;
    case 'log':
      return Number.isSafeInteger(b.at) && typeof b.isError === 'boolean' && text(b.text, limits) ? null : 'log';
    case 'app':
      if (typeof b.appType !== 'string' || b.appType.length === 0 || b.appType.length > 64) return 'appType';
      if (!(b.payload instanceof Uint8Array) || b.payload.length > limits.maxPayloadBytes) return 'payload';
      return isU32(b.replyTo) ? null : 'replyTo';
    case 'sync':
    case 'close':
    case 'ack':
      return null;
    default:
      return 'body type';
  }
}
