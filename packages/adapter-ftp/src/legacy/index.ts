/**
 * A codec for the files of the original Hub governor (github.com/Adel-dz/Hub,
 * docs/adapters/ftp-legacy.md), and the mapping of their contents onto
 * dialoghub's model.
 *
 * Reading a downloaded file, and answering it:
 *
 * ```ts
 * const plain = decodeLegacyTransfer(downloaded);            // invert, gunzip (bounded)
 * if (!plain.ok) return log(plain.error);
 * const file = decodeCnxRequestFile(plain.value);            // signature, count, messages
 * if (!file.ok) return log(file.error);
 * for (const msg of file.value) {
 *   const payload = decodeCnxPayload(msg);                   // typed by code, for this channel
 *   if (!payload.ok) continue;                               // one bad request never sinks the batch (B8)
 *   const request = legacyRequestToRequest(msg.id, payload.value, credentialFor(msg));
 *   ...
 * }
 * upload(encodeLegacyTransfer(encodeCnxResponseFile(responses)));
 * ```
 *
 * Decoders never throw on any bytes and return `{ ok, value | error }`;
 * encoders throw a `TypeError`/`RangeError` naming the bad field.
 */
export {
  DEFAULT_LEGACY_LIMITS,
  resolveLegacyLimits,
  type LegacyDecodeError,
  type LegacyDecodeErrorCode,
  type LegacyLimits,
  type LegacyResult,
} from './errors.js';
export {
  DOTNET_MAX_TICKS,
  TICKS_PER_MILLISECOND,
  UNIX_EPOCH_TICKS,
  epochMsToTicks,
  isDotNetTicks,
  ticksRemainder,
  ticksToEpochMs,
  type DotNetTicks,
} from './ticks.js';
export {
  LEGACY_ARCHITECTURES,
  LEGACY_CLIENT_STATUSES,
  LEGACY_MESSAGE_CODES,
  LEGACY_PRIVILEGES,
  type LegacyArchitecture,
  type LegacyClientDialog,
  type LegacyClientEnvironment,
  type LegacyClientInfo,
  type LegacyClientStatus,
  type LegacyHubDialog,
  type LegacyMessage,
  type LegacyMessageCode,
  type LegacyPrivilege,
  type LegacyProfileInfo,
} from './types.js';
export {
  decodeLegacyClientDialog,
  decodeLegacyClientEnvironment,
  decodeLegacyClientInfo,
  decodeLegacyMessage,
  decodeLegacyProfileInfo,
  encodeLegacyClientDialog,
  encodeLegacyClientEnvironment,
  encodeLegacyClientInfo,
  encodeLegacyMessage,
  encodeLegacyProfileInfo,
  isNullOrWhiteSpace,
} from './structures.js';
export {
  decodeCnxPayload,
  decodeDialogPayload,
  encodeCnxPayload,
  encodeDialogPayload,
  type LegacyCnxAnswerCode,
  type LegacyCnxAnswerPayload,
  type LegacyCnxPayload,
  type LegacyCnxRequestPayload,
  type LegacyCodeAndData,
  type LegacyDialogPayload,
} from './payloads.js';
export {
  LEGACY_FILE_NAMES,
  LEGACY_SIGNATURES,
  decodeCnxRequestFile,
  decodeCnxResponseFile,
  decodeGovDialogFile,
  decodeHubDialogFile,
  decodeProfilesFile,
  encodeCnxRequestFile,
  encodeCnxResponseFile,
  encodeGovDialogFile,
  encodeHubDialogFile,
  encodeProfilesFile,
  legacyClientIdHex,
  legacyDialogFileNames,
  parseLegacyDialogFileName,
  type LegacyFileKind,
} from './files.js';
export { decodeLegacyTransfer, encodeLegacyTransfer, invertLegacyBytes, maxTransferBytes } from './transfer.js';
export {
  LEGACY_ENVIRONMENT_KEYS,
  LEGACY_STATUS_TO_STATUS,
  STATUS_TO_LEGACY_STATUS,
  answerToLegacyAnswer,
  environmentToLegacyEnvironment,
  legacyAnswerToAnswer,
  legacyContact,
  legacyDialogToMessage,
  legacyEnvironmentToEnvironment,
  legacyRequestToRequest,
  legacyStatusToStatus,
  messageToLegacyDialog,
  profileSummariesToLegacy,
  statusToLegacyStatus,
  type LegacyDialogContext,
  type LegacyDialogEntry,
  type LegacyDirection,
  type LegacyMapping,
  type MappingLoss,
  type UnmappableReason,
} from './mapping.js';
