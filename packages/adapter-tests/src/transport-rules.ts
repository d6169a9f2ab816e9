/**
 * Theory of operation: the contract rules (runtime transport.ts) that can be
 * judged from a transport's record alone, after the fact. Each test of the
 * suite ends by running this over what passed between the hub and the
 * transport; a violation names the rule and the link.
 *
 * - rule 3: a command for a link that is already gone — closed by the hub,
 *   reported lost, or shut by `stop` — must reject, never "succeed" into the
 *   void; and `execute` must reject rather than throw;
 * - rule 4: after the hub closes a link (a `close` command, or `stop`), no
 *   `connectionClosed` for it; a lost link is reported once, not twice;
 * - rule 5: link ids are unsigned 32-bit integers;
 * - and once `stop()` has resolved, no more facts at all.
 *
 * Rule 5 lets a transport reuse an id once its link is closed, so a request
 * or messages on a closed id are read as a new link, not as a violation.
 * Rules 1 and 2 (order) are about content and are checked by the scenario
 * tests, which know what was sent.
 */
import { isU32 } from '@dialoghub/core';
import type { TransportRecordEntry } from './recording-transport.js';

/** Returns the rule violations in a transport's record; empty when it kept the contract. */
export function checkTransportRules(record: readonly TransportRecordEntry[]): string[] {
  const problems: string[] = [];
  /** Per link id: who closed it, if it is closed. */
  const closed = new Map<number, 'hub' | 'lost'>();
  const seen = new Set<number>();
  const calls = new Map<number, { link: number; type: string; gone: 'hub' | 'lost' | undefined }>();
  let stopCalled = false;
  let stopped = false;
  for (const entry of record) {
    switch (entry.kind) {
      case 'fact': {
        const { event } = entry;
        const link = event.link as number;
        if (stopped) problems.push(`a ${event.type} fact on link ${link} came after stop() had resolved`);
        if (!isU32(link)) {
          problems.push(`rule 5: link id ${String(link)} is not an unsigned 32-bit integer`);
          continue;
        }
        seen.add(link);
        if (event.type === 'connectionClosed') {
          const by = closed.get(link);
          if (by === 'hub') problems.push(`rule 4: connectionClosed for link ${link} after the hub had closed it`);
          else if (by === 'lost') problems.push(`rule 4: a second connectionClosed for link ${link}`);
          closed.set(link, 'lost');
        } else if (closed.has(link)) {
          closed.delete(link);
        }
        break;
      }
      case 'execute': {
        const link = entry.command.link as number;
        const gone = closed.get(link);
        calls.set(entry.call, { link, type: entry.command.type, gone });
        if (entry.command.type === 'close' && gone === undefined) closed.set(link, 'hub');
        break;
      }
      case 'settled': {
        const call = calls.get(entry.call);
        if (entry.ok && call !== undefined && call.gone !== undefined) {
          const why = call.gone === 'hub' ? 'the hub had closed it' : 'it was reported lost';
          problems.push(`rule 3: ${call.type} for link ${call.link} succeeded although ${why}`);
        }
        break;
      }
      case 'threw':
        problems.push(`rule 3: execute (call ${entry.call}) threw instead of rejecting: ${entry.error}`);
        break;
      case 'stop':
        if (!stopCalled) for (const link of seen) if (!closed.has(link)) closed.set(link, 'hub');
        stopCalled = true;
        break;
      case 'stopped':
        stopped = true;
        break;
      default: {
        const never: never = entry;
        throw new TypeError(`unknown record entry ${JSON.stringify(never)}`);
      }
    }
  }
  return problems;
}
