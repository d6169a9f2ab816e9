/**
 * The conformance harness for the FTP mailbox: the hub's `FtpTransport` and
 * the client side (`FtpClientTransport`) on one test server, and a pump that
 * stands in for the two sides' timers — it ticks the hub transport and polls
 * every client link, over and over, until the harness is torn down. The
 * suite itself waits on events (a frame at a peer, a fact at the hub), never
 * on time; the pump only makes the mailbox deliver them.
 */
import { PeerInbox, type TestPeer, type TransportHarness } from '@dialoghub/adapter-tests';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { FtpClientTransport, FtpTransport, type FtpClientLink } from '../src/index.js';
import type { TestServer } from './servers.js';

/** A conformance-suite peer on a mailbox link. */
export function peerOf(link: FtpClientLink): TestPeer {
  const inbox = new PeerInbox();
  link.onFrame((frame) => inbox.push(frame));
  link.onClose(() => inbox.end());
  return {
    send: (frame) => link.send(frame),
    receive: () => inbox.next(),
    // Ends the session from the client's side: what was sent before still reaches the hub, then the end.
    drop: () => link.close(),
  };
}

/** A harness on `server` (already running); `teardown` stops the pump and disposes of the server. */
export function mailboxHarness(server: TestServer): TransportHarness {
  const transport = new FtpTransport({ server: server.options, remoteDir: server.mailboxDir });
  const clients = new FtpClientTransport({ server: server.options, remoteDir: server.mailboxDir });
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
    connect: async () => peerOf(await clients.connect()),
    teardown: async () => {
      running = false;
      await pump;
      await transport.stop();
      await clients.close();
      await server.dispose();
    },
  };
}
