/**
 * Theory of operation: raw client secrets must never reach the disk. A journal
 * or a trace stores `redactInput(input)` and `redactCommand(command)`: secrets
 * become their verifiers, which the core accepts in their place, so replaying
 * a redacted journal gives the same state (only the one `ok` answer that
 * carried a new secret differs: it carries none).
 */
import type { HubCommand } from './commands.js';
import { credentialVerifier } from './credentials.js';
import type { HubInput } from './inputs.js';
import type { Credential } from './requests.js';

function redactCredential(c: Credential): Credential {
  return 'secret' in c ? { verifier: credentialVerifier(c) } : c;
}

/** The input with every raw secret replaced by its verifier; the same object when there is none. */
export function redactInput(input: HubInput): HubInput {
  if (input.type !== 'requestReceived') return input;
  const r = input.request;
  let request = r;
  if (r.kind !== 'register' && r.kind !== 'profiles' && 'secret' in r.credential) {
    request = { ...r, credential: redactCredential(r.credential) };
  }
  const issued = input.issued === undefined ? undefined : redactCredential(input.issued);
  if (request === r && issued === input.issued) return input;
  return issued === undefined ? { ...input, request } : { ...input, request, issued };
}

/** The command without any raw secret (only a registration's `ok` answer carries one). */
export function redactCommand(command: HubCommand): HubCommand {
  if (command.type !== 'reply' || command.answer.code !== 'ok' || command.answer.secret === null) return command;
  return { ...command, answer: { ...command.answer, secret: null } };
}
