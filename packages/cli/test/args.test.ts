/** Option text to values: one clear UsageError per mistake. */
import { describe, expect, it } from 'vitest';
import { integer, keyValues, policy, positive } from '../src/args.js';
import { UsageError } from '../src/errors.js';
import { FAULT_KEYS } from '../src/index.js';

describe('argument parsing', () => {
  it('reads integers and rejects anything else', () => {
    expect(integer('42', '--clients', 1)).toBe(42);
    expect(integer(' -7 ', '--seed')).toBe(-7);
    expect(() => integer('abc', '--clients', 1)).toThrow(new UsageError("--clients must be an integer, got 'abc'"));
    expect(() => integer('1.5', '--clients', 1)).toThrow(UsageError);
    expect(() => integer('1e3', '--clients', 1)).toThrow(UsageError);
    expect(() => integer('0', '--clients', 1)).toThrow(new UsageError('--clients must be at least 1, got 0'));
    expect(() => integer('99999999999999999999', '--seed')).toThrow(UsageError);
  });

  it('reads positive numbers', () => {
    expect(positive('0.25', '--hours')).toBe(0.25);
    expect(positive('24', '--hours')).toBe(24);
    expect(() => positive('0', '--hours')).toThrow(new UsageError('--hours must be greater than 0, got 0'));
    expect(() => positive('-1', '--hours')).toThrow(UsageError);
    expect(() => positive('1h', '--hours')).toThrow(new UsageError("--hours must be a number, got '1h'"));
  });

  it('knows the core’s policies', () => {
    expect(policy('seniority')).toBe('seniority');
    expect(() => policy('newestWins')).toThrow(new UsageError("unknown --policy 'newestWins' (expected replaceOld, ignoreNew, seniority)"));
  });

  it('reads --faults as key=value pairs of the simulator’s fault keys', () => {
    expect(keyValues('loss=0.05,dup=0.01,reorder=0.05,crash=3', '--faults', FAULT_KEYS)).toEqual({ loss: 0.05, dup: 0.01, reorder: 0.05, crash: 3 });
    expect(keyValues(' loss = .5 ', '--faults', FAULT_KEYS)).toEqual({ loss: 0.5 });
    expect(() => keyValues('loss', '--faults', FAULT_KEYS)).toThrow(/malformed --faults 'loss'/);
    expect(() => keyValues('loss=0.1,', '--faults', FAULT_KEYS)).toThrow(/malformed/);
    expect(() => keyValues('loss=x', '--faults', FAULT_KEYS)).toThrow("--faults loss must be a number, got 'x'");
    expect(() => keyValues('meteor=1', '--faults', FAULT_KEYS)).toThrow(/unknown --faults key 'meteor' \(expected loss, dup, reorder, crash/);
    expect(() => keyValues('loss=0.1,loss=0.2', '--faults', FAULT_KEYS)).toThrow(/given twice/);
    expect(() => keyValues('', '--faults', FAULT_KEYS)).toThrow(/empty/);
  });
});
