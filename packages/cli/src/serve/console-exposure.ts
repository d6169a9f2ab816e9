/**
 * Whether the operator console is reachable from other machines without TLS,
 * in which case its bearer token would cross the network in clear. `serve`
 * logs the warning this returns (it does not refuse: an operator may have a
 * TLS-terminating proxy on the same host, docs/operations.md §5).
 */
import { isIP } from 'node:net';

/** True for an address only this machine can reach: `localhost`, 127.0.0.0/8, `::1`. */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1' || h === '0:0:0:0:0:0:0:1' || /^::ffff:127\./.test(h);
  return false;
}

/** The warning for a console bound to `host`, or null when it is on loopback or served over TLS. */
export function consoleExposureWarning(host: string, tls: boolean): string | null {
  if (tls || isLoopbackHost(host)) return null;
  return `the console listens on ${host} without TLS: the admin token crosses the network in clear; give --tls-key/--tls-cert, or keep --admin-host 127.0.0.1 behind an SSH tunnel or a TLS proxy`;
}
