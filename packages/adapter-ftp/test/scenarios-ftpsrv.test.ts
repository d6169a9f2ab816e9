/**
 * The hub + client-engine scenarios (scenario-suite.ts) against ftp-srv,
 * started in this process on loopback with a throwaway root.
 */
import { runScenarios } from './scenario-suite.js';
import { startFtpSrv } from './servers.js';

runScenarios('ftp-srv', { start: () => startFtpSrv() });
