/**
 * Link ids for adapters (transport rule 5): unsigned 32-bit integers, never
 * zero, never reused while the link is open. A counter that wraps and skips
 * the ids still in use.
 */
import { linkId, type LinkId } from '@dialoghub/core';

const U32_MAX = 0xffff_ffff;

export class LinkIdAllocator {
  private nextId: number;

  /** @param first the first id handed out, in [1, 2^32). */
  constructor(first = 1) {
    this.nextId = first;
  }

  /** The next id of the counter that `inUse` does not claim. @throws RangeError when every id is in use. */
  next(inUse: (id: number) => boolean): LinkId {
    for (let tries = 0; tries < U32_MAX; tries++) {
      const id = this.nextId;
      this.nextId = id === U32_MAX ? 1 : id + 1;
      if (!inUse(id)) return linkId(id);
    }
    throw new RangeError('every link id is in use');
  }
}
