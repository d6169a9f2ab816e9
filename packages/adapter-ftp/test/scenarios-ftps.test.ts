/**
 * The mailbox over explicit FTPS (`AUTH TLS`, `PROT P`) with the certificate
 * the test generates (servers.ts `testCertificate`, openssl), on ftp-srv and
 * on vsftpd: a hub and a client engine that trust it register, talk both
 * ways and answer a Sync; a client that does not trust it never reaches the
 * hub. Skipped loudly when openssl (or, for vsftpd, vsftpd) is missing.
 */
import { MAILBOX_TIMINGS } from '@dialoghub/core';
import { afterEach, describe, expect, it } from 'vitest';
import { Engine, World, contact } from './scenario-kit.js';
import { messagesFrom, registered, syncsTo } from './scenario-suite.js';
import { hasOpenssl, startFtpSrv, startVsftpd, vsftpdUnavailable, type TestServer } from './servers.js';

const noOpenssl = hasOpenssl() ? null : 'openssl is not on the PATH (it makes the test certificate)';
const noVsftpd = noOpenssl ?? (await vsftpdUnavailable());
if (noOpenssl !== null) console.warn(`\n*** SKIPPING the FTPS scenarios: ${noOpenssl} ***\n`);
else if (noVsftpd !== null) console.warn(`\n*** SKIPPING the FTPS scenarios on vsftpd: ${noVsftpd} ***\n`);

function ftpsScenarios(label: string, start: () => Promise<TestServer>): void {
  describe(label, () => {
    let current: World | null = null;
    afterEach(async () => {
      const w = current;
      current = null;
      await w?.dispose();
    });

    it('a hub and an engine that trust the test certificate register, talk both ways and answer a Sync over TLS; an engine that does not trust it never reaches the hub', async () => {
      const server = await start();
      expect(server.options.tls).toMatchObject({ ca: expect.stringContaining('BEGIN CERTIFICATE') });
      const w = (current = new World(server));
      await w.hub.open();
      const a = await registered(w, 'a', 0xa1);
      a.send('secret hello');
      await w.hub.send(0xa1, 'secret answer');
      await w.until(() => w.hub.received(0xa1).length === 1 && a.messages.length === 1, 'the dialog');
      expect([w.hub.received(0xa1), a.messages]).toEqual([['secret hello'], ['secret answer']]);
      await w.hub.advance(MAILBOX_TIMINGS.syncAfterMs);
      const [sync] = syncsTo(w, 0xa1);
      await w.until(() => messagesFrom(w, 0xa1).some((m) => m.body.type === 'null' && m.body.replyTo === sync!.seq), 'the Null');

      // An engine without the CA: every TLS handshake fails, so no link opens and nothing reaches the mailbox.
      const eve = new Engine('eve', { ...server, options: { ...server.options, tls: {} } }, { register: { profileId: 1, clientId: 0xee, contact: contact('eve') } }, 0xeee, { maxRetries: 2 });
      w.engines.push(eve);
      eve.start();
      await w.until(() => eve.isStopped, 'eve to give up');
      expect(eve.stopReason).toBe('gaveUp');
      const failures = eve.events.items.flatMap((e) => (e.type === 'attemptFailed' ? [e.reason] : []));
      expect(failures).toHaveLength(3);
      for (const f of failures) expect(f).toMatch(/^connect: .*certificate/i);
      expect(eve.links).toEqual([]);
      expect(w.hub.inputs('requestReceived')).toHaveLength(1);
    });
  });
}

describe.skipIf(noOpenssl !== null)('FTPS (ftp-srv)', () => {
  ftpsScenarios('hub + client engine over FTPS (ftp-srv)', () => startFtpSrv({ tls: true }));
});

describe.skipIf(noVsftpd !== null)('FTPS (vsftpd)', () => {
  ftpsScenarios('hub + client engine over FTPS (vsftpd)', () => startVsftpd({ tls: true }));
});
