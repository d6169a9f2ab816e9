/**
 * The transport conformance suite on `combineTransports` (runtime) over two
 * memory networks: the combination must keep the contract that each of its
 * inner transports keeps. Peers connect alternately through the first and the
 * second network, so both number their links from 1 and the combination has
 * to renumber them; once with every peer on the first network.
 */
import { PeerInbox, runTransportConformance, type TestPeer, type TransportSetup } from '@dialoghub/adapter-tests';
import { combineTransports } from '@dialoghub/runtime';
import { createMemoryNetwork, type MemoryNetwork } from '../src/index.js';

function peerOn(network: MemoryNetwork): TestPeer {
  const link = network.connect();
  const inbox = new PeerInbox();
  link.onReceive((frame) => inbox.push(frame));
  link.onClose(() => inbox.end());
  return { send: (frame) => void link.send(frame), receive: () => inbox.next(), drop: () => link.close() };
}

const setup =
  (pick: (n: number) => 0 | 1): TransportSetup =>
  () => {
    const networks = [createMemoryNetwork(), createMemoryNetwork()] as const;
    const transport = combineTransports(networks[0].transport, networks[1].transport);
    let connections = 0;
    return {
      transport,
      connect: async () => peerOn(networks[pick(connections++)]),
      teardown: () => transport.stop(),
    };
  };

runTransportConformance('two memory networks combined, peers alternating between them', setup((n) => (n % 2 === 0 ? 0 : 1)));
runTransportConformance('two memory networks combined, every peer on the first', setup(() => 0));
