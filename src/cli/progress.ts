import { AirlockError } from '../errors.js';
import { formatBytes } from './options.js';
import { printable } from './text.js';

/**
 * How progress is shown: `tty` one redrawn line, `plain` a line every 10 s (logs,
 * CI), `json` one JSON event a line, `none` nothing. `auto` is `tty` when both
 * stdout and stderr are terminals and `none` otherwise, so a log file or a pipe
 * never gets carriage returns or escape codes.
 */
export type ProgressMode = 'auto' | 'tty' | 'plain' | 'json' | 'none';

export interface ProgressSink {
  write: (text: string) => void;
  /** Terminal width, to keep the line on one row. */
  columns?: number;
  now?: () => number;
}

const MODES: readonly ProgressMode[] = ['auto', 'tty', 'plain', 'json', 'none'];

/** The `--progress` flag, with `auto` resolved against the terminals we run on. */
export function progressMode(flag: unknown, env: NodeJS.ProcessEnv = process.env, terminals = process.stdout.isTTY === true && process.stderr.isTTY === true): Exclude<ProgressMode, 'auto'> {
  const asked = flag === undefined || flag === true ? 'auto' : String(flag);
  if (!MODES.includes(asked as ProgressMode)) {
    throw new AirlockError('USAGE', `--progress takes auto, tty, plain, json or none, got ${asked}`);
  }
  if (asked !== 'auto') return asked as Exclude<ProgressMode, 'auto'>;
  return terminals && env.TERM !== 'dumb' ? 'tty' : 'none';
}

export function withProgressOption<T extends { option: (raw: string, description: string) => T }>(command: T): T {
  return command.option('--progress <mode>', 'auto (a live line on a terminal, nothing otherwise), plain (a line every 10 s), json (one event a line), none');
}

/** `1.5 MiB/s`; `0 B/s` before anything moved. */
export function formatRate(bytesPerSecond: number): string {
  if (!Number.isFinite(bytesPerSecond) || bytesPerSecond <= 0) return '0 B/s';
  return `${formatBytes(Math.round(bytesPerSecond))}/s`;
}

/** `42s`, `3m05s`, `2h07m`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

export interface ProgressDetail {
  /** Artifacts finished of all. */
  items?: { done: number; total: number };
  /** What is moving now: an artifact name. */
  current?: string;
}

const TTY_EVERY_MS = 100;
const PLAIN_EVERY_MS = 10_000;
const JSON_EVERY_MS = 1_000;
/** The rate is measured over the last few seconds, so a stall shows as a falling rate. */
const RATE_WINDOW_MS = 5_000;

/**
 * Renders the byte counts the library reports. Library code never prints: it calls
 * back with counts, and this decides whether and how they reach stderr.
 */
export class Progress {
  private last = 0;
  private shown = false;
  private stage = '';
  private readonly samples: { at: number; done: number }[] = [];
  private readonly now: () => number;

  constructor(
    readonly mode: Exclude<ProgressMode, 'auto'>,
    private readonly sink: ProgressSink = { write: (t) => process.stderr.write(t), ...(process.stderr.columns ? { columns: process.stderr.columns } : {}) },
  ) {
    this.now = sink.now ?? Date.now;
  }

  update(stage: string, done: number, total: number, detail: ProgressDetail = {}): void {
    if (this.mode === 'none') return;
    const now = this.now();
    if (stage !== this.stage) {
      // A new stage (pulling, then writing) measures its own rate.
      this.stage = stage;
      this.samples.length = 0;
    }
    this.samples.push({ at: now, done });
    while (this.samples.length > 2 && now - this.samples[0]!.at > RATE_WINDOW_MS) this.samples.shift();
    const every = this.mode === 'tty' ? TTY_EVERY_MS : this.mode === 'plain' ? PLAIN_EVERY_MS : JSON_EVERY_MS;
    const first = this.last === 0;
    if (!first && now - this.last < every && done < total) return;
    if (this.mode === 'plain' && first) {
      // The first plain line waits a full interval: short runs stay silent.
      this.last = now;
      return;
    }
    this.last = now;
    const oldest = this.samples[0]!;
    const seconds = (now - oldest.at) / 1000;
    const rate = seconds > 0 ? (done - oldest.done) / seconds : 0;
    const eta = rate > 0 && total >= done ? (total - done) / rate : undefined;
    if (this.mode === 'json') {
      this.sink.write(`${JSON.stringify({ type: 'progress', stage, done, total, rate: Math.round(rate), ...(eta !== undefined ? { etaSeconds: Math.round(eta) } : {}), ...detail })}\n`);
      return;
    }
    const pct = total > 0 ? ` ${Math.min(100, Math.floor((done / total) * 100))}%` : '';
    const items = detail.items ? ` ${detail.items.done}/${detail.items.total}` : '';
    const current = detail.current !== undefined ? `  ${printable(detail.current)}` : '';
    const line = `${stage}${items} ${formatBytes(done)}/${formatBytes(total)}${pct} ${formatRate(rate)} ETA ${eta !== undefined ? formatDuration(eta) : '?'}${current}`;
    if (this.mode === 'plain') {
      this.sink.write(`${line}\n`);
      return;
    }
    const width = this.sink.columns ?? 0;
    this.sink.write(`\r\x1b[K${width > 1 && line.length >= width ? `${line.slice(0, width - 2)}…` : line}`);
    this.shown = true;
  }

  /** Clears the live line before the command prints its result. */
  done(): void {
    if (this.shown) this.sink.write('\r\x1b[K');
    this.shown = false;
  }
}
