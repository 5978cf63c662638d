import { appendFileSync } from 'node:fs';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/**
 * Logs one line per event to stderr and appends it to a file. A failing file
 * write (a full disk) is ignored: logging must never take the daemon down.
 */
export function createLogger(options: { level: LogLevel; file?: string; stderr?: boolean }): Logger {
  const min = RANK[options.level];
  const write = (level: LogLevel, message: string) => {
    if (RANK[level] < min) return;
    const line = `${new Date().toISOString()} ${level} ${message}\n`;
    if (options.stderr !== false) process.stderr.write(line);
    if (options.file) {
      try {
        appendFileSync(options.file, line);
      } catch {
        // The log file is best effort.
      }
    }
  };
  return {
    debug: (message) => write('debug', message),
    info: (message) => write('info', message),
    warn: (message) => write('warn', message),
    error: (message) => write('error', message),
  };
}
