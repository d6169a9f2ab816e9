/**
 * Theory of operation — the core's one entry point.
 *
 * This module does no I/O and reads no clock: `now` is an argument, and the
 * same state, input and `now` always give the same result. `step` never
 * modifies the state it is given (tables are persistent), never throws on
 * anything a peer sent (that is answered with a reply, a close or a log), and
 * throws `HubUsageError` only when the embedding code broke the contract.
 *
 * The run loop every shell follows (docs/architecture.md §3):
 *   1. take one input (a transport fact, an operator or application action,
 *      or `timerFired`) and the clock's `now`;
 *   2. `{ state, commands } = step(state, input, now)`;
 *   3. if `commands[0]` is `commit`, make the input durable first;
 *   4. run the commands in order; report failures as `commandFailed` inputs;
 *   5. arm the one timer at `nextDeadline(state)`;
 *   6. repeat.
 *
 * Each step first handles every deadline that is due at `now` (so a late timer
 * loses nothing), then the input. Time never goes backwards: an earlier `now`
 * is raised to the last one seen, and logged.
 */
import type { HubCommand } from './commands.js';
import { HubUsageError } from './errors.js';
import { appMessageHandled } from './handlers/app-message-handled.js';
import { appMessageSent } from './handlers/app-message-sent.js';
import { clientDeleted, clientKicked, statusSet } from './handlers/client-actions.js';
import { commandFailed } from './handlers/command-failed.js';
import { connectionClosed } from './handlers/connection-closed.js';
import { messagesReceived } from './handlers/messages-received.js';
import { profileCreated, profileModeSet, profilePolicySet, profileRemoved, profileRenamed } from './handlers/profile-actions.js';
import { requestReceived } from './handlers/request-received.js';
import type { Millis } from './ids.js';
import type { HubInput } from './inputs.js';
import { clientDialogOf, type HubState } from './state.js';
import { Tx, type Step } from './tx.js';

export type { Step };

/**
 * Advances the hub by one input.
 *
 * Call it for every input, one at a time, with the shell's current time.
 * Keep the returned `state` (the old one stays valid and unchanged), run the
 * returned `commands` in order — after making the input durable when the
 * first command is `commit` — and then re-arm the timer at `nextDeadline`.
 *
 * @throws HubUsageError when `now` is not a finite number or the input is not
 *   one of the documented inputs (local misuse, never peer data).
 */
export function step(state: HubState, input: HubInput, now: number): Step {
  if (typeof now !== 'number' || !Number.isFinite(now)) {
    throw new HubUsageError('invalidInput', `now must be a finite number of milliseconds, got ${String(now)}`);
  }
  const clamped = now < state.now;
  const tx = new Tx(state, (clamped ? state.now : now) as Millis);
  if (clamped) tx.log('warn', 'clockWentBack', null, { given: now, kept: state.now });
  tx.runDue();
  dispatch(tx, input);
  return tx.finish();
}

function dispatch(tx: Tx, input: HubInput): void {
  switch (input.type) {
    case 'requestReceived':
      return requestReceived(tx, input);
    case 'messagesReceived':
      return messagesReceived(tx, input);
    case 'connectionClosed':
      return connectionClosed(tx, input);
    case 'commandFailed':
      return commandFailed(tx, input);
    case 'timerFired':
      // The due deadlines were handled above; a spurious wake-up does nothing.
      return;
    case 'appMessageSent':
      return appMessageSent(tx, input);
    case 'appMessageHandled':
      return appMessageHandled(tx, input);
    case 'profileCreated':
      return profileCreated(tx, input);
    case 'profileRenamed':
      return profileRenamed(tx, input);
    case 'profileRemoved':
      return profileRemoved(tx, input);
    case 'profileModeSet':
      return profileModeSet(tx, input);
    case 'profilePolicySet':
      return profilePolicySet(tx, input);
    case 'statusSet':
      return statusSet(tx, input);
    case 'clientKicked':
      return clientKicked(tx, input);
    case 'clientDeleted':
      return clientDeleted(tx, input);
    default: {
      const never: never = input;
      throw new HubUsageError('invalidInput', `unknown input type ${JSON.stringify((never as { type?: unknown })?.type)}`);
    }
  }
}

/**
 * When the hub next needs a `timerFired` input, or undefined if it needs none.
 *
 * Call it after every step and keep exactly one timer armed at the returned
 * time (replacing the previous one). The time may be earlier than strictly
 * needed — a spurious wake-up is harmless — but never later, and after a step
 * at `now` it is always after `now`.
 */
export function nextDeadline(state: HubState): Millis | undefined {
  return state.nextDue ?? undefined;
}

/**
 * Every application message handed over (`deliver`) and not yet confirmed,
 * in client-id then sequence order, as `deliver` commands.
 *
 * Call it once after restoring a hub (snapshot plus journal) and run the
 * commands: they are the hand-overs a crash may have interrupted. It walks all
 * clients, so it is for recovery, not for every step.
 */
export function pendingDeliveries(state: HubState): HubCommand[] {
  const out: HubCommand[] = [];
  for (const client of state.clients.values()) {
    const dialog = clientDialogOf(state, client);
    if (dialog === null) continue;
    for (const d of dialog.unconfirmed) out.push({ type: 'deliver', clientId: client.id, ...d });
  }
  return out;
}

/** Convenience for tests and simulators: runs `inputs` in order at the given times. */
export function run(state: HubState, inputs: Iterable<{ readonly input: HubInput; readonly now: number }>): { state: HubState; commands: HubCommand[] } {
  const commands: HubCommand[] = [];
  for (const { input, now } of inputs) {
    const r = step(state, input, now);
    state = r.state;
    for (const c of r.commands) commands.push(c);
  }
  return { state, commands };
}
