/**
 * Theory of operation: the one JSON object a command prints with `--json`.
 * Results hold plain data except for payload bytes (`Uint8Array`), which
 * `JSON.stringify` would spell out as an object of indices; they become
 * `{ "$bytes": "<base64>" }`. Non-finite numbers become null, as JSON has
 * no other spelling for them.
 */

function replacer(this: unknown, key: string, value: unknown): unknown {
  // A Buffer's own toJSON has run by now: look at the holder's original value.
  const original = (this as Record<string, unknown>)[key];
  if (original instanceof Uint8Array) return { $bytes: Buffer.from(original.buffer, original.byteOffset, original.byteLength).toString('base64') };
  if (typeof value === 'bigint') return value.toString();
  return value;
}

/** The result as one line of JSON, newline-terminated. */
export function toJsonLine(value: unknown): string {
  return `${JSON.stringify(value, replacer)}\n`;
}
