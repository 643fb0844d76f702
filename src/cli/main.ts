import { cac } from 'cac';
import { AirlockError } from '../errors.js';
import { VERSION } from '../version.js';
import { commands } from './commands/index.js';
import { processIo, reportError } from './run.js';
import { exitQuietlyOnClosedStdout } from './text.js';

let stdoutGuarded = false;

interface CacOption {
  rawName: string;
  names: string[];
  isBoolean?: boolean;
}

/**
 * cac (through mri) turns every numeric-looking option value into a number:
 * `--chart-version 1.10` would arrive as 1.1 and `2.0` as 2. Versions, tags and paths
 * must stay as typed, so each value option is read again from argv, as strings.
 */
export function keepOptionStrings(argv: readonly string[], options: readonly CacOption[], parsed: Record<string, unknown>): void {
  const end = argv.indexOf('--');
  const words = end === -1 ? argv : argv.slice(0, end);
  for (const option of options) {
    if (option.isBoolean || option.names.length === 0) continue;
    const flags = option.rawName.split(',').map((part) => part.trim().split(/\s/)[0]!);
    const values: string[] = [];
    for (let i = 0; i < words.length; i++) {
      const word = words[i]!;
      const inline = flags.find((f) => word.startsWith(`${f}=`));
      if (inline !== undefined) values.push(word.slice(inline.length + 1));
      else if (flags.includes(word) && i + 1 < words.length) values.push(words[++i]!);
    }
    if (values.length === 0) continue;
    for (const name of option.names) parsed[name] = values.length === 1 ? values[0] : values;
  }
}

export function buildCli() {
  const cli = cac('airlock');
  for (const register of commands) register(cli);
  cli.help();
  cli.version(VERSION);
  return cli;
}

export async function main(argv: string[]): Promise<void> {
  if (!stdoutGuarded) {
    stdoutGuarded = true;
    exitQuietlyOnClosedStdout();
  }
  const cli = buildCli();
  const json = argv.includes('--json');
  try {
    cli.parse(argv, { run: false });
    if (cli.matchedCommand === undefined && !cli.options.help && !cli.options.version) {
      const words = cli.args;
      if (words.length > 0) {
        throw new AirlockError('USAGE', `unknown command "${words[0]}"`, { hint: 'run airlock --help for the list of commands' });
      }
      cli.outputHelp();
      return;
    }
    const command = cli.matchedCommand as unknown as { options: CacOption[] } | undefined;
    const global = cli.globalCommand as unknown as { options: CacOption[] };
    keepOptionStrings(argv, [...(command?.options ?? []), ...global.options], cli.options as Record<string, unknown>);
    await cli.runMatchedCommand();
  } catch (err) {
    process.exitCode = reportError(err, processIo, json);
  }
}
