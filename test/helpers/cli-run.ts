import { execFile } from 'node:child_process';

const bin = new URL('../../bin/airlock', import.meta.url).pathname;

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI as a user would, with a fixed SOURCE_DATE_EPOCH; never throws. */
export function airlock(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { env: { ...process.env, SOURCE_DATE_EPOCH: '1700000000' }, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1;
      resolve({ code, stdout, stderr });
    });
  });
}

/** The same, failing with its output when the command does not exit 0. */
export async function airlockOk(...args: string[]): Promise<Run> {
  const run = await airlock(...args);
  if (run.code !== 0) throw new Error(`airlock ${args.join(' ')} exited ${run.code}: ${run.stderr}${run.stdout}`);
  return run;
}
