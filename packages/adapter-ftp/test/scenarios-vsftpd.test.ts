/**
 * The hub + client-engine scenarios (scenario-suite.ts) against Debian's
 * vsftpd (/usr/sbin/vsftpd), a separate daemon on loopback started from a
 * throwaway config (servers.ts), and a permission denial vsftpd itself
 * produces. When vsftpd cannot run here (not installed, not root), the whole
 * file is skipped — loudly, with the reason.
 */
import { profileId } from '@dialoghub/core';
import { mkdirSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { World } from './scenario-kit.js';
import { registered, runScenarios } from './scenario-suite.js';
import { startVsftpd, vsftpdUnavailable } from './servers.js';

const why = await vsftpdUnavailable();
if (why !== null) console.warn(`\n*** SKIPPING the vsftpd scenarios: ${why} ***\n`);

describe.skipIf(why !== null)('vsftpd', () => {
  runScenarios('vsftpd', { start: () => startVsftpd() });

  describe('failures vsftpd produces itself', () => {
    let current: World | null = null;
    afterEach(async () => {
      const w = current;
      current = null;
      await w?.dispose();
    });

    it('permission denied (553) on one client\'s hub file: command failures in the core, retried until the cause is gone, while another client is served', async () => {
      const server = await startVsftpd();
      const w = (current = new World(server));
      await w.hub.open();
      expect(await w.hub.h.operate({ type: 'profileCreated', profileId: profileId(2), name: 'two' })).toMatchObject({ ok: true });
      const a = await registered(w, 'a', 0xa1, 1);
      const b = await registered(w, 'b', 0xb2, 2);
      const la = [...w.hub.linksOf(0xa1)][0];
      // A root-owned directory where the hub uploads a's temporary file: vsftpd (logged in as `games`) cannot create it.
      const blocker = join(server.diskRoot, 'mailbox', 'h2c', `${a.link.session}.tmp`);
      mkdirSync(blocker);
      await w.hub.send(0xa1, 'to a');
      await w.hub.send(0xb2, 'to b');
      b.send('from b');
      const failed = () => w.hub.inputs('commandFailed').filter((f) => (f.link as number) === la);
      await w.until(() => b.messages.includes('to b') && w.hub.received(0xb2).includes('from b') && failed().length > 0, 'b served while a fails');
      expect(failed()[0]).toMatchObject({ command: 'writeDialog', reason: expect.stringMatching(/: 553 /) });
      await w.idle(2);
      expect(a.messages).toEqual([]);
      rmdirSync(blocker);
      await w.until(() => a.messages.length > 0, 'a after the cause is gone');
      await w.idle(2);
      expect([a.messages, b.messages]).toEqual([['to a'], ['to b']]);
    });
  });
});
