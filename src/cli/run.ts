import { PreflightError } from '../bundle/preflight.js';
import { AirlockError, isAirlockError, messageOf } from '../errors.js';
import { ExitCode, exitCodeFor } from './exit.js';
import { safeLine } from './text.js';

export interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
  /** Whether stderr is a terminal: progress is drawn only then. */
  tty: boolean;
}

export const processIo: Io = {
  // Every line is escaped on its way out: nothing a command prints can drive the terminal.
  out: (line) => process.stdout.write(`${safeLine(line)}\n`),
  err: (line) => process.stderr.write(`${safeLine(line)}\n`),
  tty: process.stderr.isTTY === true,
};

function toAirlockError(err: unknown): AirlockError {
  if (isAirlockError(err)) return err;
  // cac reports unknown options and missing arguments with its own error type.
  if (err instanceof Error && err.name === 'CACError') {
    return new AirlockError('USAGE', err.message, { hint: 'run airlock COMMAND --help for its options' });
  }
  return new AirlockError('INTERNAL', messageOf(err), { cause: err });
}

/** Prints an error as one line plus a hint (or JSON) and returns the exit code for it. */
export function reportError(err: unknown, io: Io, json: boolean): number {
  const e = toAirlockError(err);
  const exit = exitCodeFor(e.code);
  if (json) {
    // A failed preflight carries every problem, each with its own code, repository and tag.
    const problems = e instanceof PreflightError ? { problems: e.report.problems } : {};
    io.out(JSON.stringify({ ok: false, error: { code: e.code, message: e.message, hint: e.hint, retryable: e.retryable, ...problems } }));
  } else {
    io.err(`airlock: error: ${e.message}`);
    if (e.hint !== undefined) io.err(`  hint: ${e.hint}`);
    if (e.retryable) io.err('  (running the same command again may succeed)');
    if (e.code === 'INTERNAL' && process.env.AIRLOCK_DEBUG) io.err(String((err as Error)?.stack ?? err));
  }
  return exit;
}

/**
 * Runs a command action: the one place where library results meet the process.
 * Library code throws; this turns it into output and an exit code.
 */
export async function runAction(action: () => Promise<number | void>, json: boolean, io: Io = processIo): Promise<void> {
  try {
    process.exitCode = (await action()) ?? ExitCode.OK;
  } catch (err) {
    process.exitCode = reportError(err, io, json);
  }
}
