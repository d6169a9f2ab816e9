/**
 * The subcommands, in the order `dialoghub --help` lists them. A new command
 * is a module in this folder plus one line here.
 */
import type { CliCommand } from '../command.js';
import { adminCommand } from './admin.js';
import { demoCommand } from './demo.js';
import { inspectCommand } from './inspect.js';
import { replayCommand } from './replay.js';
import { serveCommand } from './serve.js';
import { simCommand } from './sim.js';
import { viewCommand } from './view.js';

// Method parameters are bivariant, so every CliCommand<P, R> fits the list.
export const COMMANDS: readonly CliCommand<unknown, unknown>[] = [serveCommand, demoCommand, simCommand, replayCommand, viewCommand, inspectCommand, adminCommand];
