/**
 * Theory of operation: the structured log of `dialoghub serve` (pino). One
 * JSON object per line on stdout — what a log shipper wants — or, when
 * stdout is a terminal, the same records made readable by pino-pretty, one
 * line each. Records are written synchronously through the command's
 * `CliIo`, so nothing is lost when the process ends and tests capture them
 * in memory.
 */
import { pino, type Logger } from 'pino';
import { prettyFactory } from 'pino-pretty';
import type { CliIo } from '../io.js';

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevelName = (typeof LOG_LEVELS)[number];

export const LOG_FORMATS = ['auto', 'json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export interface LoggerOptions {
  readonly level: LogLevelName;
  /** `auto`: pretty when stdout is a terminal, JSON lines otherwise. */
  readonly format: LogFormat;
  /** Whether stdout is a terminal (decides `auto`, and colours). */
  readonly stdoutIsTty: boolean;
}

/** A pino logger writing to `io.writeOut`. */
export function createLogger(io: CliIo, options: LoggerOptions): Logger {
  const pretty = options.format === 'pretty' || (options.format === 'auto' && options.stdoutIsTty);
  const settings = { level: options.level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime };
  if (!pretty) return pino(settings, { write: (line: string) => io.writeOut(line) });
  const prettify = prettyFactory({ colorize: options.stdoutIsTty, singleLine: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' });
  return pino(settings, { write: (line: string) => io.writeOut(prettify(line)) });
}
