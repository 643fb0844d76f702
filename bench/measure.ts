/**
 * Runs real commands, as users run them, and measures each: wall time (the
 * bench's own clock), CPU seconds and peak RSS (GNU time's rusage of the child).
 */
import { spawn } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';

export const TIME_BIN = '/usr/bin/time';

export interface Sample {
  /** Seconds, wall clock. */
  wall: number;
  /** Seconds of user + system CPU. */
  cpu: number;
  /** Peak resident set size, bytes (the largest of the processes, for a sequence). */
  rss: number;
}

export interface Command {
  cmd: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
}

let counter = 0;

/** Runs one command under GNU time; throws with the tail of its output when it fails. */
export async function run(command: Command, scratch: string): Promise<Sample> {
  const timeFile = join(scratch, `.time-${process.pid}-${counter++}`);
  const started = process.hrtime.bigint();
  const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve, reject) => {
    const child = spawn(TIME_BIN, ['-f', '%U %S %M', '-o', timeFile, command.cmd, ...command.args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: command.env ?? process.env,
    });
    let output = '';
    const keep = (chunk: Buffer): void => {
      output = (output + chunk.toString('utf8')).slice(-4000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, output }));
  });
  const wall = Number(process.hrtime.bigint() - started) / 1e9;
  const text = await readFile(timeFile, 'utf8').catch(() => '');
  await rm(timeFile, { force: true });
  if (code !== 0) {
    throw new Error(`${command.cmd} ${command.args.join(' ')} exited with ${code}:\n${output.trim()}`);
  }
  // GNU time may prefix "Command exited with non-zero status"; the numbers are on the last line.
  const last = text.trim().split('\n').pop() ?? '';
  const [user, sys, maxKiB] = last.split(/\s+/).map(Number);
  return { wall, cpu: (user ?? 0) + (sys ?? 0), rss: (maxKiB ?? 0) * 1024 };
}

/** Runs commands one after another and adds them up (wall and CPU summed, RSS the largest). */
export async function runAll(commands: Command[], scratch: string): Promise<Sample> {
  const started = process.hrtime.bigint();
  let cpu = 0;
  let rss = 0;
  for (const c of commands) {
    const s = await run(c, scratch);
    cpu += s.cpu;
    rss = Math.max(rss, s.rss);
  }
  return { wall: Number(process.hrtime.bigint() - started) / 1e9, cpu, rss };
}

export interface Stats {
  median: number;
  min: number;
  max: number;
  n: number;
}

export function stats(values: readonly number[]): Stats {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  if (n === 0) return { median: NaN, min: NaN, max: NaN, n: 0 };
  const median = n % 2 === 1 ? sorted[(n - 1) / 2]! : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2;
  return { median, min: sorted[0]!, max: sorted[n - 1]!, n };
}

/** Collected samples of one measured thing. */
export class Series {
  readonly samples: Sample[] = [];

  add(s: Sample): void {
    this.samples.push(s);
  }

  wall(): Stats {
    return stats(this.samples.map((s) => s.wall));
  }

  cpu(): Stats {
    return stats(this.samples.map((s) => s.cpu));
  }

  /** The largest peak RSS seen over the repetitions. */
  peakRss(): number {
    return Math.max(0, ...this.samples.map((s) => s.rss));
  }
}
