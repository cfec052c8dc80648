/**
 * Structured logging (pino): JSON lines, pretty-printed when stdout is a TTY.
 * Every module takes a Logger (usually a child with a `component` binding).
 */
import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

export const LOG_LEVELS: readonly LevelWithSilent[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export function createLogger(level: LevelWithSilent = 'info', options: { pretty?: boolean } = {}): Logger {
  const pretty = options.pretty ?? process.stdout.isTTY === true;
  if (pretty) {
    return pino({ level, transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l' } } });
  }
  return pino({ level });
}

/** A logger that drops everything: for tests and embedded use that passes none. */
export const silentLogger: Logger = pino({ level: 'silent' });
