import { cac } from 'cac';
import { AirlockError } from '../errors.js';
import { VERSION } from '../version.js';
import { commands } from './commands/index.js';
import { processIo, reportError } from './run.js';

export function buildCli() {
  const cli = cac('airlock');
  for (const register of commands) register(cli);
  cli.help();
  cli.version(VERSION);
  return cli;
}

export async function main(argv: string[]): Promise<void> {
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
    await cli.runMatchedCommand();
  } catch (err) {
    process.exitCode = reportError(err, processIo, json);
  }
}
