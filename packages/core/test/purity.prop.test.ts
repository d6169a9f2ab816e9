/**
 * `step` is a pure function of (state, input, now):
 * - determinism: the same input sequence from the same initial state gives
 *   deep-equal commands and states, run after run;
 * - purity: with the state and every input deep-frozen before each step,
 *   everything still works, gives the same results as an unfrozen run, and
 *   the frozen previous state is unchanged (same canonical dump, same
 *   snapshot bytes before and after the step);
 * - snapshots: serializing at any cut point, deserializing and continuing
 *   with the rest of the inputs gives the same commands and the same final
 *   state as the uninterrupted run.
 *
 * States are compared through `canonicalDump` (every public field, tables in
 * key order) and through `serialize` bytes.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import type { HubCommand } from '../src/commands.js';
import { deserialize, serialize } from '../src/snapshot.js';
import type { HubState } from '../src/state.js';
import { allActions, arbScenario, canonicalDump, runActions, show, type Scenario } from './hub-arbitraries.js';

interface Trace {
  readonly commands: (readonly HubCommand[])[];
  readonly dumps: string[];
  readonly final: HubState;
}

function trace(s: Scenario, freeze = false): Trace {
  const commands: (readonly HubCommand[])[] = [];
  const dumps: string[] = [];
  const { state } = runActions(
    s.universe,
    allActions(s),
    ({ result }) => {
      commands.push(result.commands);
      dumps.push(canonicalDump(result.state));
    },
    { freeze },
  );
  return { commands, dumps, final: state };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

const scenarios = arbScenario(120);

describe('step is pure and deterministic', () => {
  test.prop([scenarios], { numRuns: 100 })('the same inputs from the same state give deep-equal commands and states', (s) => {
    const a = trace(s);
    const b = trace(s);
    expect(b.commands).toEqual(a.commands);
    expect(b.dumps).toEqual(a.dumps);
    expect(serialize(b.final)).toEqual(serialize(a.final));
  });

  test.prop([scenarios], { numRuns: 100 })('with the state and inputs deep-frozen, steps work alike and leave the previous state unchanged', (s) => {
    const plain = trace(s);
    const commands: (readonly HubCommand[])[] = [];
    const dumps: string[] = [];
    let before: { dump: string; bytes: Uint8Array; inputDump: string } | undefined;
    runActions(
      s.universe,
      allActions(s),
      ({ index, prev, input, result }) => {
        const after = { dump: canonicalDump(prev), bytes: serialize(prev), inputDump: show(input) };
        if (after.dump !== before!.dump || after.inputDump !== before!.inputDump) throw new Error(`step ${index} changed the state or input it was given: ${show(input)}`);
        if (!sameBytes(after.bytes, before!.bytes)) throw new Error(`step ${index} changed the snapshot of the state it was given: ${show(input)}`);
        commands.push(result.commands);
        dumps.push(canonicalDump(result.state));
      },
      {
        freeze: true,
        beforeStep: (state, input) => {
          before = { dump: canonicalDump(state), bytes: serialize(state), inputDump: show(input) };
        },
      },
    );
    expect(commands).toEqual(plain.commands);
    expect(dumps).toEqual(plain.dumps);
  });

  test.prop([scenarios, fc.nat()], { numRuns: 100 })('a snapshot at any cut point, restored, continues exactly like the uninterrupted run', (s, at) => {
    const actions = allActions(s);
    const cut = at % (actions.length + 1);
    const whole = trace(s);

    const first = runActions(s.universe, actions.slice(0, cut));
    const bytes = serialize(first.state);
    const restored = deserialize(bytes);
    if (!restored.ok) throw new Error(`deserialize refused a fresh snapshot at step ${cut}: ${restored.error.code}: ${restored.error.message}`);
    expect(canonicalDump(restored.value)).toBe(canonicalDump(first.state));
    expect(serialize(restored.value)).toEqual(bytes);

    const commands: (readonly HubCommand[])[] = [];
    const { state } = runActions(s.universe, actions.slice(cut), ({ result }) => commands.push(result.commands), {
      from: { state: restored.value, driver: first.driver, index: cut },
    });
    expect(commands).toEqual(whole.commands.slice(cut));
    expect(canonicalDump(state)).toBe(canonicalDump(whole.final));
    expect(serialize(state)).toEqual(serialize(whole.final));
  });
});
