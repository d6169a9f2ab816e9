/**
 * The TCP adapter runs the transport conformance suite over real loopback
 * sockets: plain TCP, and TLS with a throwaway certificate (when `openssl`
 * is available to make one).
 */
import { peerOfLink, runTransportConformance, type TransportSetup } from '@dialoghub/adapter-tests';
import { connectTcp, TcpTransport, type TcpClientLink, type TcpTransportOptions, type TlsClientOptions } from '../src/index.js';
import { hasOpenssl, testCertificate } from './helpers.js';

const setup =
  (server: () => TcpTransportOptions, client: () => TlsClientOptions | undefined): TransportSetup =>
  () => {
    const transport = new TcpTransport(server());
    const links: TcpClientLink[] = [];
    return {
      transport,
      connect: async () => {
        const tls = client();
        const link = await connectTcp({ port: transport.address().port, ...(tls === undefined ? {} : { tls }) });
        links.push(link);
        return peerOfLink(link);
      },
      teardown: async () => {
        await transport.stop();
        for (const link of links) link.destroy();
      },
    };
  };

runTransportConformance(
  'tcp',
  setup(
    () => ({}),
    () => undefined,
  ),
);

if (hasOpenssl()) {
  runTransportConformance(
    'tcp over tls',
    setup(
      () => ({ tls: testCertificate() }),
      () => ({ ca: testCertificate().cert }),
    ),
  );
}
