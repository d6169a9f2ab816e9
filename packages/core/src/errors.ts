/**
 * Local misuse is an exception; peer misbehaviour is data (h11's split).
 * Anything a peer sent is answered with a reply, a close or a log command and
 * never throws. A `HubUsageError` means the embedding code broke the contract:
 * an invalid config, an input the shell was supposed to validate, a corrupt
 * snapshot handed to a function that cannot return a result.
 */
export type HubUsageErrorCode =
  | 'invalidConfig'
  | 'invalidInput'
  | 'invariantBroken';

export class HubUsageError extends Error {
  override readonly name = 'HubUsageError';
  constructor(
    readonly code: HubUsageErrorCode,
    message: string,
    readonly data: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
  }

  toJSON(): { name: string; code: HubUsageErrorCode; message: string; data: Readonly<Record<string, unknown>> } {
    return { name: this.name, code: this.code, message: this.message, data: this.data };
  }
}
