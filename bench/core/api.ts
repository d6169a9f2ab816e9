/**
 * Theory of operation: the one place the core suite imports the hub core
 * from: its public entry point (packages/core/src/index.ts, what a shell
 * imports as `@dialoghub/core`), so the benchmark measures exactly the calls
 * a shell makes (`initialState`, `step`, `nextDeadline`, `serialize`, `serializeInSlices`,
 * `deserialize`) and nothing reaches into internals. A relative path rather
 * than the package name, so the bench also runs without the
 * `@dialoghub/source` export condition (e.g. `bench/core/profile.ts`).
 */
export {
  initialState,
  step,
  nextDeadline,
  serialize,
  serializeInSlices,
  deserialize,
  clientId,
  linkId,
  profileId,
  type HubState,
  type HubInput,
  type HubCommand,
  type HubConfig,
  type SliceLimits,
  type DialogMessage,
  type MessageBody,
  type ClientId,
  type LinkId,
  type ProfileId,
} from '../../packages/core/src/index.js';
