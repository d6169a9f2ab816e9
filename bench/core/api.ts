/**
 * Theory of operation: the one place the core suite imports the hub core from,
 * so that the benchmark measures exactly the public entry points a shell uses
 * (`initialState`, `step`, `nextDeadline`) and nothing reaches into internals.
 */
export { initialState, type HubState } from '../../packages/core/src/state.js';
export { step, nextDeadline } from '../../packages/core/src/step.js';
export type { HubInput } from '../../packages/core/src/inputs.js';
export type { HubCommand } from '../../packages/core/src/commands.js';
export type { DialogMessage, MessageBody } from '../../packages/core/src/messages.js';
export type { HubConfig } from '../../packages/core/src/config.js';
export { clientId, linkId, profileId, type ClientId, type LinkId, type ProfileId } from '../../packages/core/src/ids.js';
