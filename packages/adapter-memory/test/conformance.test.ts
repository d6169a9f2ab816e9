/**
 * The memory adapter runs the transport conformance suite twice: frames as
 * values, and frames through the core's wire codec.
 */
import { PeerInbox, runTransportConformance, type TransportSetup } from '@dialoghub/adapter-tests';
import { createMemoryNetwork, type MemoryNetworkOptions } from '../src/index.js';

const setup =
  (options: MemoryNetworkOptions): TransportSetup =>
  () => {
    const network = createMemoryNetwork(options);
    const connect = async () => {
      const link = network.connect();
      const inbox = new PeerInbox();
      link.onReceive((frame) => inbox.push(frame));
      link.onClose(() => inbox.end());
      return { send: (frame: Parameters<typeof link.send>[0]) => void link.send(frame), receive: () => inbox.next(), drop: () => link.close() };
    };
    return { transport: network.transport, connect, teardown: () => network.transport.stop() };
  };

runTransportConformance('memory', setup({}));
runTransportConformance('memory, through the wire codec', setup({ wireCodec: true }));
