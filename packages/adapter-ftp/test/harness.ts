/**
 * The conformance harness for the FTP mailbox: the hub's `FtpTransport` and
 * the client side (`FtpClientTransport`) on one test server, and a pump that
 * stands in for the two sides' timers — it ticks the hub transport and polls
 * every client link, over and over, until the harness is torn down. The
 * suite itself waits on events (a frame at a peer, a fact at the hub), never
 * on time; the pump only makes the mailbox deliver them.
 */
import { peerOfLink, type TransportHarness } from '@dialoghub/adapter-tests';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { DHMB_FORMAT, FtpClientTransport, FtpTransport, type MailboxFormat } from '../src/index.js';
import type { TestServer } from './servers.js';

/**
 * A harness on `server` (already running), with `format` on both sides;
 * `teardown` stops the pump and disposes of the server.
 */
export function mailboxHarness(server: TestServer, format: MailboxFormat = DHMB_FORMAT): TransportHarness {
  const transport = new FtpTransport({ server: server.options, remoteDir: server.mailboxDir, format });
  const clients = new FtpClientTransport({ server: server.options, remoteDir: server.mailboxDir, format });
  let running = true;
  const pump = (async () => {
    while (running) {
      await transport.tick();
      await clients.poll();
      await nextTurn();
    }
  })();
  return {
    transport,
    connect: async () => peerOfLink(await clients.connect()),
    teardown: async () => {
      running = false;
      await pump;
      await transport.stop();
      await clients.close();
      await server.dispose();
    },
  };
}
