/**
 * The FTP mailbox runs the transport conformance suite against ftp-srv
 * started in this process (plain FTP, and explicit FTPS with a throwaway
 * certificate when `openssl` is available). The harness pumps ticks and polls
 * (harness.ts): the suite's waits are for events, the pump makes them happen.
 */
import { runTransportConformance } from '@dialoghub/adapter-tests';
import { mailboxHarness } from './harness.js';
import { hasOpenssl, startFtpSrv } from './servers.js';

runTransportConformance('ftp mailbox (ftp-srv)', async () => mailboxHarness(await startFtpSrv()));

if (hasOpenssl()) {
  runTransportConformance('ftp mailbox over FTPS (ftp-srv)', async () => mailboxHarness(await startFtpSrv({ tls: true })));
}
