// Log files for a line PC: one file per source (main, services, renderer) in userData/logs, rotated by size so weeks
// of running never fill the disk (main.log → main.1.log → … → main.<keep>.log, the oldest deleted). Plain Node, no
// Electron: the same code runs under the tests. Appends are synchronous on an fd kept open: a line is written before
// a crash that follows it, and a log line costs microseconds.
import { closeSync, existsSync, fstatSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface LogOptions {
  /** Rotate when a file would grow past this many bytes (default 5 MB). */
  maxBytes?: number;
  /** Rotated files kept besides the current one (default 5). */
  keep?: number;
  now?: () => Date;
  /** Also written here (e.g. the terminal in development); default none. */
  echo?: ((line: string) => void) | null;
}

export class RotatingLog {
  readonly file: string;
  private fd: number | null = null;
  private size = 0;
  private readonly maxBytes: number;
  private readonly keep: number;
  private readonly now: () => Date;
  private readonly echo: ((line: string) => void) | null;

  constructor(dir: string, name: string, opts: LogOptions = {}) {
    this.file = path.join(dir, `${name}.log`);
    this.maxBytes = opts.maxBytes ?? 5 * 2 ** 20;
    this.keep = Math.max(1, opts.keep ?? 5);
    this.now = opts.now ?? (() => new Date());
    this.echo = opts.echo ?? null;
  }

  /** The rotated files, newest first: main.1.log … main.<keep>.log. */
  rotated(i: number): string {
    return this.file.replace(/\.log$/, `.${i}.log`);
  }

  write(level: LogLevel, message: string): void {
    const line = `${this.now().toISOString()} ${level.toUpperCase().padEnd(5)} ${message.replace(/\r?\n/g, '\n    ')}\n`;
    this.echo?.(line.trimEnd());
    try {
      const bytes = Buffer.byteLength(line);
      if (this.fd !== null && this.size > 0 && this.size + bytes > this.maxBytes) this.rotate();
      if (this.fd === null) this.open();
      writeSync(this.fd!, line);
      this.size += bytes;
    } catch {
      // A full or unwritable disk must never stop the line: the log is lost, the app goes on.
      this.close();
    }
  }

  info(m: string): void {
    this.write('info', m);
  }
  warn(m: string): void {
    this.write('warn', m);
  }
  error(m: string): void {
    this.write('error', m);
  }

  close(): void {
    if (this.fd !== null) {
      try {
        closeSync(this.fd);
      } catch {
        // already gone
      }
    }
    this.fd = null;
  }

  private open(): void {
    mkdirSync(path.dirname(this.file), { recursive: true });
    this.fd = openSync(this.file, 'a');
    this.size = fstatSync(this.fd).size;
    if (this.size >= this.maxBytes) {
      this.rotate();
      this.open();
    }
  }

  private rotate(): void {
    this.close();
    rmSync(this.rotated(this.keep), { force: true });
    for (let i = this.keep - 1; i >= 1; i--) {
      if (existsSync(this.rotated(i))) renameSync(this.rotated(i), this.rotated(i + 1));
    }
    if (existsSync(this.file)) renameSync(this.file, this.rotated(1));
    this.size = 0;
  }
}

export interface AppLogs {
  dir: string;
  main: RotatingLog;
  services: RotatingLog;
  renderer: RotatingLog;
  close(): void;
}

/** The three logs of the desktop app, in `<userData>/logs`. */
export function openAppLogs(userData: string, opts: LogOptions = {}): AppLogs {
  const dir = path.join(userData, 'logs');
  const main = new RotatingLog(dir, 'main', opts);
  const services = new RotatingLog(dir, 'services', opts);
  const renderer = new RotatingLog(dir, 'renderer', opts);
  return { dir, main, services, renderer, close: () => [main, services, renderer].forEach((l) => l.close()) };
}

/** An error as one log entry: its stack where it has one. */
export function describeError(e: unknown): string {
  return e instanceof Error ? (e.stack ?? `${e.name}: ${e.message}`) : String(e);
}
