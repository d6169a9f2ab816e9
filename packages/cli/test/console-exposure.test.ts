import { describe, expect, it } from 'vitest';
import { consoleExposureWarning, isLoopbackHost } from '../src/serve/console-exposure.js';

describe('console exposure', () => {
  it.each(['127.0.0.1', '127.1.2.3', 'localhost', 'LOCALHOST', 'hub.localhost', '::1', '[::1]', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1'])('%s is loopback', (host) => {
    expect(isLoopbackHost(host)).toBe(true);
    expect(consoleExposureWarning(host, false)).toBeNull();
  });

  it.each(['0.0.0.0', '::', '10.0.0.5', '192.168.1.2', 'hub.example.org', '128.0.0.1', '::ffff:10.0.0.1'])('%s is not loopback: a warning without TLS, none with it', (host) => {
    expect(isLoopbackHost(host)).toBe(false);
    expect(consoleExposureWarning(host, false)).toBe(
      `the console listens on ${host} without TLS: the admin token crosses the network in clear; give --tls-key/--tls-cert, or keep --admin-host 127.0.0.1 behind an SSH tunnel or a TLS proxy`,
    );
    expect(consoleExposureWarning(host, true)).toBeNull();
  });
});
