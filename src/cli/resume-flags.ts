import { defaultStateDir, UploadStateFiles, type RegistryEvent, type RegistryOptions } from '../registry/index.js';
import type { Io } from './run.js';
import { printable } from './text.js';

export interface ResumeFlags {
  stateDir?: string;
}

export function withResumeOptions<T extends { option: (raw: string, description: string) => T }>(command: T): T {
  return command.option('--state-dir <dir>', 'Where interrupted uploads are recorded, to continue inside a blob next time (default: $XDG_STATE_HOME/airlock)');
}

/** Registry options for resumable uploads, and one line per resumed or restarted blob. */
export function resumeOptions(flags: ResumeFlags, io: Io): Pick<RegistryOptions, 'uploadState' | 'onEvent'> {
  let warned = false;
  return {
    uploadState: new UploadStateFiles(flags.stateDir ?? defaultStateDir()),
    onEvent: (e: RegistryEvent) => {
      if (e.kind === 'resume') io.err(`resuming ${printable(e.what.replace(/^upload /, ''))}: ${printable(e.detail ?? '')}`);
      if (e.kind === 'restart') io.err(`restarting ${printable(e.what.replace(/^upload /, ''))}: ${printable(e.detail ?? '')}`);
      if (e.kind === 'unresumable' && !warned) {
        warned = true;
        io.err(`note: cannot record uploads for resuming (${printable(e.detail ?? '')}); an interrupted push will start its blobs over (--state-dir DIR elsewhere)`);
      }
    },
  };
}
