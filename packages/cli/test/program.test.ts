/**
 * The whole program in-process (argv in, captured stdout/stderr and the exit
 * code out): a small simulation with a trace, its replay, its timeline, and
 * every way a user can get the arguments wrong.
 */
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTrace, TraceWriter, type TraceRecord } from '@dialoghub/runtime';
import { step, type ClientId, type HubInput, type HubState, type Step } from '@dialoghub/core';
import { SIM_EPOCH } from '@dialoghub/sim';
import { renderSim, runSim, simCommand } from '../src/index.js';
import { cli, lines } from './helpers.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dh-cli-program-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('sim → replay → view', () => {
  it('simulates 50 clients for an hour with faults, writes the trace, replays it without divergence, and draws it', async () => {
    const trace = join(dir, 'run.dht');
    const sim = await cli('sim', '--seed', '7', '--clients', '50', '--hours', '1', '--faults', 'loss=0.05,dup=0.01,reorder=0.05,crash=1', '--policy', 'seniority', '--trace', trace, '--json');
    expect(sim.err).toBe('');
    expect(sim.code).toBe(0);
    expect(lines(sim.out)).toHaveLength(1);
    const result = JSON.parse(sim.out);
    expect(result).toMatchObject({ seed: 7, clients: 50, hours: 1, policy: 'seniority', violations: [], trace, faults: { loss: 0.05, dup: 0.01, reorder: 0.05, crash: 1 } });
    expect(result.steps).toBeGreaterThan(100);
    expect(result.stats.registrations).toBeGreaterThan(40);
    expect(result.stats.crashes).toBe(1);
    expect(typeof result.wallSeconds).toBe('number');
    expect((await stat(trace)).size).toBeGreaterThan(0);

    const replay = await cli('replay', trace, '--json');
    expect(replay.err).toBe('');
    expect(replay.code).toBe(0);
    expect(lines(replay.out)).toHaveLength(1);
    const report = JSON.parse(replay.out);
    expect(report.divergences).toBe(0);
    expect(report.first).toBeUndefined();
    expect(report.inputs).toBeGreaterThan(100);
    expect(report.compared).toBe(report.inputs);
    expect(report.restarts).toBe(1);
    expect(report.invariantViolations).toEqual([]);

    const html = join(dir, 'timeline.html');
    const view = await cli('view', trace, '-o', html, '--json');
    expect(view.err).toBe('');
    expect(view.code).toBe(0);
    const written = JSON.parse(view.out);
    expect(written).toEqual({ output: html, bytes: (await stat(html)).size, clients: expect.any(Number) });
    expect(written.clients).toBeGreaterThan(40);
    expect(written.clients).toBeLessThanOrEqual(50);
    const page = await readFile(html, 'utf8');
    expect(page).toMatch(/^<!DOCTYPE html>/i);
    expect(page).toContain('</html>');
  });

  it('prints tables without --json', async () => {
    const trace = join(dir, 'tables.dht');
    const sim = await cli('sim', '--seed', '1', '--clients', '20', '--hours', '0.5', '--trace', trace);
    expect(sim.code).toBe(0);
    expect(sim.out).toMatch(/^sim: seed 1, 20 clients in 19 profiles, 0\.5 h, policy replaceOld, faults none/);
    expect(sim.out).toMatch(/registrations\s+20/);
    expect(sim.out).toContain('violations: none — every invariant held');
    expect(sim.out).toMatch(/trace\s+\S*tables\.dht/);

    const replay = await cli('replay', trace);
    expect(replay.code).toBe(0);
    expect(replay.out).toMatch(/replay: OK — \d+ inputs/);
  });

  it('writes no trace without --trace, and says so', async () => {
    const r = await runSim({ seed: 3, clients: 10, hours: 0.25 });
    expect(r.trace).toBeNull();
    expect(r.violations).toEqual([]);
  });
});

describe('findings exit 1', () => {
  it('replay of a tampered trace reports the divergence and exits 1', async () => {
    // A trace that recorded one command fewer than the core returns at some step.
    const trace = join(dir, 'tamper.dht');
    expect((await cli('sim', '--seed', '5', '--clients', '5', '--hours', '0.2', '--trace', trace)).code).toBe(0);
    const t = await openTrace(trace);
    const records: TraceRecord[] = [];
    for await (const r of t.records()) records.push(r);
    const k = records.findIndex((r) => (r.commands?.length ?? 0) > 1);
    records[k] = { ...records[k]!, commands: records[k]!.commands!.slice(1) };
    const tampered = join(dir, 'tampered.dht');
    const w = await TraceWriter.create(tampered, { config: t.header.config, hubCreatedAt: t.header.hubCreatedAt });
    await w.write(records);
    await w.close();

    const r = await cli('replay', tampered, '--json');
    expect(r.code).toBe(1);
    const report = JSON.parse(r.out);
    expect(report.divergences).toBeGreaterThan(0);
    expect(report.first).toMatchObject({ seq: records[k]!.seq, index: 0 });

    const text = await cli('replay', tampered);
    expect(text.code).toBe(1);
    expect(text.out).toMatch(/replay: FAILED/);
    expect(text.out).toMatch(/first divergence at seq \d+/);
  });
});

describe('bad arguments and inputs: one line on stderr, exit code 2', () => {
  const cases: [string, string[], RegExp][] = [
    ['no command', [], /^dialoghub: missing command \(serve, demo, sim, replay, view, inspect, admin\)/],
    ['an unknown command', ['simulate'], /^dialoghub: unknown command 'simulate'/],
    ['an unknown option', ['sim', '--seed', '1', '--clients', '5', '--hours', '1', '--speed', '3'], /^dialoghub: unknown option '--speed'/],
    ['a missing required option', ['sim', '--seed', '1', '--hours', '1'], /^dialoghub: required option '--clients <n>' not specified/],
    ['a non-numeric --clients', ['sim', '--seed', '1', '--clients', 'many', '--hours', '1'], /^dialoghub: --clients must be an integer, got 'many'$/],
    ['zero clients', ['sim', '--seed', '1', '--clients', '0', '--hours', '1'], /^dialoghub: --clients must be at least 1, got 0$/],
    ['a non-numeric --hours', ['sim', '--seed', '1', '--clients', '5', '--hours', 'x'], /^dialoghub: --hours must be a number/],
    ['an unknown policy', ['sim', '--seed', '1', '--clients', '5', '--hours', '1', '--policy', 'newestWins'], /^dialoghub: unknown --policy 'newestWins'/],
    ['malformed --faults', ['sim', '--seed', '1', '--clients', '5', '--hours', '1', '--faults', 'loss:0.1'], /^dialoghub: malformed --faults/],
    ['an unknown fault', ['sim', '--seed', '1', '--clients', '5', '--hours', '1', '--faults', 'meteor=1'], /^dialoghub: unknown --faults key 'meteor'/],
    ['a fault out of range', ['sim', '--seed', '1', '--clients', '5', '--hours', '1', '--faults', 'loss=1.5'], /^dialoghub: --faults loss must be a probability in \[0, 1\], got 1.5$/],
    ['a fractional crash count', ['sim', '--seed', '1', '--clients', '5', '--hours', '1', '--faults', 'crash=1.5'], /^dialoghub: --faults crash must be a non-negative integer/],
    ['a trace in a missing directory', ['sim', '--seed', '1', '--clients', '5', '--hours', '1', '--trace', '/nonexistent-dir/x.dht'], /^dialoghub: \/nonexistent-dir: no such file or directory$/],
    ['replay without a file', ['replay'], /^dialoghub: missing required argument 'file'/],
    ['replay with two files', ['replay', 'a', 'b'], /^dialoghub: too many arguments for 'replay'/],
    ['replay of a missing file', ['replay', '/nonexistent-dir/x.dht'], /^dialoghub: .*no such file or directory$/],
    ['view without -o', ['view', 'x.dht'], /^dialoghub: required option '-o, --output <file>' not specified$/],
    ['view of a missing file', ['view', '/nonexistent-dir/x.dht', '-o', '/tmp/x.html'], /^dialoghub: .*no such file or directory$/],
    ['view onto its own input', ['view', 'x.dht', '-o', './x.dht'], /^dialoghub: -o \.\/x\.dht would overwrite the input$/],
    ['inspect --limit that is not a number', ['inspect', '.', '--limit', 'all'], /^dialoghub: --limit must be an integer, got 'all'$/],
  ];
  it.each(cases)('%s', async (_what, argv, message) => {
    const r = await cli(...argv);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(lines(r.err)).toHaveLength(1);
    expect(r.err.trimEnd()).toMatch(message);
  });

  it('a file that is not a trace', async () => {
    const file = join(dir, 'notes.txt');
    await writeFile(file, 'these are not the bytes you are looking for\n');
    for (const argv of [['replay', file], ['replay', file, '--json'], ['view', file, '-o', join(dir, 'x.html')]]) {
      const r = await cli(...argv);
      expect(r.code).toBe(2);
      expect(r.out).toBe('');
      expect(lines(r.err)).toHaveLength(1);
      expect(r.err).toMatch(new RegExp(`^dialoghub: ${file}.*`));
    }
  });

  it('a trace cut short in its header', async () => {
    const trace = join(dir, 'cut.dht');
    expect((await cli('sim', '--seed', '2', '--clients', '3', '--hours', '0.1', '--trace', trace)).code).toBe(0);
    const bytes = await readFile(trace);
    const cut = join(dir, 'cut-header.dht');
    await writeFile(cut, bytes.subarray(0, 30));
    const r = await cli('replay', cut);
    expect(r.code).toBe(2);
    expect(lines(r.err)).toHaveLength(1);
    expect(r.err).toMatch(/^dialoghub: .*cut-header\.dht/);
  });

  it('help and version exit 0 on stdout', async () => {
    const help = await cli('--help');
    expect(help.code).toBe(0);
    expect(help.err).toBe('');
    for (const c of ['sim', 'replay', 'view', 'inspect']) expect(help.out).toContain(c);
    const simHelp = await cli('sim', '--help');
    expect(simHelp.code).toBe(0);
    expect(simHelp.out).toContain('--faults <list>');
    const version = await cli('--version');
    expect(version.code).toBe(0);
    expect(version.out.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});

describe('a simulation that finds a violation', () => {
  /**
   * The core, except that from the second virtual hour on a client displaced
   * by another client of its profile stays `enabled`: two enabled clients in
   * one profile (the simulator's own test of itself uses the same fault).
   */
  function brokenStep(state: HubState, input: HubInput, now: number): Step {
    const r = step(state, input, now);
    if (now < SIM_EPOCH + 3_600_000) return r;
    for (const c of r.commands) {
      if (c.type === 'notify' && c.event.type === 'takeover' && c.event.conflict === 'otherClient') {
        const loser = r.state.clients.get(c.event.loser as ClientId);
        if (loser !== undefined && loser.status !== 'enabled') {
          return { state: Object.freeze({ ...r.state, clients: r.state.clients.set(loser.id, { ...loser, status: 'enabled' as const }) }), commands: r.commands };
        }
      }
    }
    return r;
  }

  it('exits 1, lists the violation, and writes the shrunk trace that replays it', async () => {
    const trace = join(dir, 'broken.dht');
    const r = await runSim({ seed: 1, clients: 200, hours: 3, trace, step: brokenStep });
    expect(simCommand.exitCode(r)).toBe(1);
    expect(r.violations[0]).toMatchObject({ kind: 'oneEnabledPerProfile' });
    expect(r.trace).toBe(trace);
    const json = simCommand.json(r) as { violations: unknown[] };
    expect(json.violations).toHaveLength(r.violations.length);
    const text = renderSim(r);
    expect(text).toMatch(/violations: 1\n\s+kind\s+step\s+at\s+client\s+message\n\s+oneEnabledPerProfile\s+\d+\s+\+\d+h\d\dm[\d.]+s\s+\d+\s/);
    expect(text).toContain(`reproduce: dialoghub replay ${trace}`);
    // The broken core corrupts the state, not the commands: the real core replays the shrunk trace
    // with the same commands and finds the invariant intact.
    const replay = await cli('replay', trace, '--json');
    expect(replay.code).toBe(0);
    expect(JSON.parse(replay.out)).toMatchObject({ inputs: r.shrink!.to, divergences: 0, invariantViolations: [] });
  });
});
