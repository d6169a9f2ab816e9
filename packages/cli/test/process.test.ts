/**
 * Real child processes of the source entry (`node --conditions=@dialoghub/source
 * --import tsx packages/cli/src/main.ts …`): exit codes, exactly one JSON
 * object on stdout with --json, and one line on stderr for every error. When
 * the package has been built (`npm run build`), the bin is checked too.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliProcess, lines, populatedHub, REPO } from './helpers.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dh-cli-process-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function oneJsonObject(stdout: string): Record<string, unknown> {
  expect(lines(stdout)).toHaveLength(1);
  const value: unknown = JSON.parse(stdout);
  expect(typeof value === 'object' && value !== null && !Array.isArray(value)).toBe(true);
  return value as Record<string, unknown>;
}

describe('dialoghub as a process', () => {
  it('sim --trace, replay, view and inspect: exit 0 and one JSON object each', async () => {
    const trace = join(dir, 'run.dht');
    const sim = cliProcess('sim', '--seed', '11', '--clients', '50', '--hours', '1', '--faults', 'loss=0.05,dup=0.01,reorder=0.05,crash=1', '--trace', trace, '--json');
    expect(sim.err).toBe('');
    expect(sim.code).toBe(0);
    expect(oneJsonObject(sim.out)).toMatchObject({ seed: 11, clients: 50, violations: [], trace });

    const replay = cliProcess('replay', trace, '--json');
    expect(replay.code).toBe(0);
    expect(oneJsonObject(replay.out)).toMatchObject({ divergences: 0 });

    const html = join(dir, 'timeline.html');
    const view = cliProcess('view', trace, '-o', html, '--json');
    expect(view.code).toBe(0);
    const written = oneJsonObject(view.out);
    expect(written).toEqual({ output: html, bytes: (await stat(html)).size, clients: expect.any(Number) });
    expect(written['clients']).toBeGreaterThan(40);

    const data = join(dir, 'data');
    const { hub } = await populatedHub(data);
    try {
      const inspect = cliProcess('inspect', data, '--json');
      expect(inspect.err).toBe('');
      expect(inspect.code).toBe(0);
      expect(oneJsonObject(inspect.out)).toMatchObject({ counts: { profiles: 2, clients: 2, online: 1, offline: 1 } });
    } finally {
      await hub.close();
    }
  });

  it.each([
    ['a non-numeric --clients', ['sim', '--seed', '1', '--clients', 'ten', '--hours', '1', '--json']],
    ['an unknown option', ['replay', 'x.dht', '--fast']],
    ['an unknown policy', ['sim', '--seed', '1', '--clients', '5', '--hours', '1', '--policy', 'lifo']],
    ['malformed --faults', ['sim', '--seed', '1', '--clients', '5', '--hours', '1', '--faults', 'loss=']],
    ['an unreadable file', ['replay', '/nonexistent-dir/x.dht', '--json']],
    ['a data directory that is not one', ['inspect', '/nonexistent-dir']],
  ])('%s: exit 2, one line on stderr, nothing on stdout, no stack', (_what, argv) => {
    const r = cliProcess(...argv);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(lines(r.err)).toHaveLength(1);
    expect(r.err).toMatch(/^dialoghub: /);
    expect(r.err).not.toMatch(/\bat .*:\d+:\d+/);
  });

  const bin = join(REPO, 'packages/cli/bin/dialoghub.js');
  const built = ['cli/dist/main.js', 'sim/dist/index.js', 'runtime/dist/index.js', 'core/dist/index.js'].every((f) => existsSync(join(REPO, 'packages', f)));
  it.skipIf(!built)('the built bin runs (after npm run build)', () => {
    const ok = spawnSync(process.execPath, [bin, 'sim', '--seed', '1', '--clients', '5', '--hours', '0.1', '--json'], { cwd: REPO, encoding: 'utf8' });
    expect(ok.status).toBe(0);
    expect(oneJsonObject(ok.stdout)).toMatchObject({ seed: 1, clients: 5, violations: [] });
    const bad = spawnSync(process.execPath, [bin, 'sim', '--clients', 'x'], { cwd: REPO, encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(lines(bad.stderr)).toHaveLength(1);
  });
});
