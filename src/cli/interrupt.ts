import { AirlockError, isAirlockError } from '../errors.js';
import { ExitCode } from './exit.js';
import type { Io } from './run.js';

/**
 * Ctrl-C as a request to stop: the first SIGINT aborts the signal (transfers stop,
 * open work is cleaned up, the command says where it stopped); a second one gets
 * Node's default and ends the process at once.
 */
export class Interrupt {
  private readonly controller = new AbortController();
  readonly signal: AbortSignal = this.controller.signal;
  private readonly stop = (): void => this.controller.abort();

  constructor() {
    process.once('SIGINT', this.stop);
  }

  get fired(): boolean {
    return this.signal.aborted;
  }

  dispose(): void {
    process.removeListener('SIGINT', this.stop);
  }

  /**
   * After a command failed: when the failure is our own interrupt, print where it
   * stopped (`line`, from the command's own counts) and give the exit code;
   * otherwise rethrow. With --json the line becomes the error message.
   */
  report(err: unknown, line: () => string, io: Io, json: boolean): number {
    if (!this.fired || !(isAirlockError(err, 'INTERRUPTED') || err instanceof Error && err.name === 'AbortError')) throw err;
    const text = line();
    if (json) throw new AirlockError('INTERRUPTED', text.replace(/^interrupted: /, 'interrupted after '));
    io.err(text);
    return ExitCode.INTERRUPTED;
  }
}
