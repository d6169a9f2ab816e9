/**
 * Theory of operation: application payloads that describe themselves, so the
 * end-to-end checks can tell from the bytes alone who sent a message and
 * where it belongs. 16 bytes, little-endian u32s:
 *
 *   [0] magic: 0x43484154 ("CHAT") client→hub, 0x50555348 ("PUSH") hub→client
 *   [1] the client id
 *   [2] client→hub: the seq the client gave the message; hub→client: the
 *       application's per-client message counter
 *   [3] client→hub: the sending process's tag (two processes may share an id);
 *       hub→client: the seq of the client message it answers, or 0
 */

export const CHAT_MAGIC = 0x43484154;
export const PUSH_MAGIC = 0x50555348;

export interface PayloadFields {
  readonly magic: number;
  readonly clientId: number;
  readonly n: number;
  readonly tag: number;
}

export function encodePayload(magic: number, clientId: number, n: number, tag: number): Uint8Array {
  const b = new Uint8Array(16);
  const v = new DataView(b.buffer);
  v.setUint32(0, magic >>> 0, true);
  v.setUint32(4, clientId >>> 0, true);
  v.setUint32(8, n >>> 0, true);
  v.setUint32(12, tag >>> 0, true);
  return b;
}

export function decodePayload(b: Uint8Array): PayloadFields | null {
  if (b.length !== 16) return null;
  const v = new DataView(b.buffer, b.byteOffset, 16);
  return { magic: v.getUint32(0, true), clientId: v.getUint32(4, true), n: v.getUint32(8, true), tag: v.getUint32(12, true) };
}
