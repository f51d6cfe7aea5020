import { pino, type Logger } from 'pino';

export type { Logger };

/** pino, pretty-printed only for a person at a terminal; JSON lines everywhere else. */
export function createLogger(options: { level: string; pretty: boolean }): Logger {
  return pino({
    level: options.level,
    ...(options.pretty ? { transport: { target: 'pino-pretty', options: { colorize: true } } } : {}),
  });
}
