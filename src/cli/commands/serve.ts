import type { CAC } from 'cac';
import { loadTls, serveBundle, type RequestEvent } from '../../serve/server.js';
import { AirlockError } from '../../errors.js';
import { mappingMode, withMappingModeOptions, type MappingFlags } from '../mapping-flags.js';
import { bundleInput, formatBytes, positiveInt, writeOutputFile } from '../options.js';
import { Progress, progressMode } from '../progress.js';
import { processIo, runAction } from '../run.js';
import { signaturePolicy, withSignatureOptions, type SignatureFlags } from '../signature-flags.js';

interface ServeFlags extends SignatureFlags, MappingFlags {
  listen?: string;
  prefix?: string;
  tlsCert?: string;
  tlsKey?: string;
  logFormat?: string;
  readyFile?: string;
  concurrency?: string;
}

function logLine(e: RequestEvent, format: string): string {
  if (format === 'json') return JSON.stringify(e);
  const cut = e.complete ? '' : ' (cut)';
  return `${e.time} ${e.remote} ${e.method} ${e.path} ${e.status} ${e.bytes} ${e.ms}ms${cut}${e.error !== undefined ? ` error: ${e.error}` : ''}`;
}

/** Resolves on the first SIGINT or SIGTERM; a second one finds no handler and ends the process at once. */
function stopSignal(): Promise<string> {
  return new Promise((resolve) => {
    const stop = (signal: string) => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve(signal);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

export function register(cli: CAC): void {
  withMappingModeOptions(withSignatureOptions(cli.command('serve <...bundle>', 'Verify a bundle, then serve it as a read-only OCI registry (in place, no extraction) until SIGINT/SIGTERM')))
    .option('--listen <host:port>', 'Address to listen on (default 127.0.0.1:5000; 0.0.0.0:PORT serves other machines)')
    .option('--prefix <path>', 'Serve every name under this path, as push --registry HOST/PREFIX would')
    .option('--tls-cert <file>', 'Serve https with this PEM certificate chain (with --tls-key)')
    .option('--tls-key <file>', 'The PEM private key of --tls-cert')
    .option('--log-format <fmt>', 'Request log on stdout: "text" (default) or "json", one line per request')
    .option('--ready-file <file>', 'Write the URL to this file once listening')
    .option('--concurrency <n>', 'Reads from the bundle at once; more requests wait (default 32)')
    .example('  airlock serve bundle.tar --key vendor.pub')
    .example('  airlock serve bundle.tar.000 --key vendor.pub --keep-source-host --listen 0.0.0.0:5000 --tls-cert edge.crt --tls-key edge.key')
    .action((args: string[], flags: ServeFlags) =>
      runAction(async () => {
        const format = flags.logFormat ?? 'text';
        if (format !== 'text' && format !== 'json') throw new AirlockError('USAGE', `--log-format takes text or json, not ${format}`);
        if ((flags.tlsCert === undefined) !== (flags.tlsKey === undefined)) throw new AirlockError('USAGE', '--tls-cert and --tls-key go together');
        const tls = flags.tlsCert !== undefined ? await loadTls(flags.tlsCert, flags.tlsKey!) : undefined;
        const concurrency = positiveInt(flags.concurrency, '--concurrency');
        // The start-up verification's progress: a line on a terminal, nothing in a log.
        const progress = new Progress(progressMode(undefined));
        const server = await serveBundle(bundleInput(args), await signaturePolicy(flags), {
          mapping: mappingMode(flags),
          ...(flags.listen !== undefined ? { listen: flags.listen } : {}),
          ...(flags.prefix !== undefined ? { prefix: flags.prefix } : {}),
          ...(tls ? { tls } : {}),
          ...(concurrency !== undefined ? { concurrency } : {}),
          onProgress: (done, total) => progress.update('verifying', done, total),
        });
        progress.done();
        const stopped = stopSignal();
        server.events.on('request', (e) => processIo.out(logLine(e, format)));
        const say = processIo.err;
        for (const s of server.signers) say(`signed by: ${s.id} (${s.source})`);
        if (server.signers.length === 0) say('signature: NONE (accepted because of --allow-unsigned)');
        say(`verified ${server.contents.files} files, ${formatBytes(server.contents.bytes)}; serving ${server.repositories.length} repositories read-only at ${server.url}`);
        for (const r of server.repositories) say(`  ${server.url.replace(/^https?:\/\//, '')}/${r}`);
        if (!server.loopback && !server.tls) say(`warning: ${server.host} is reachable from other machines over plain http; give --tls-cert and --tls-key unless the network is trusted`);
        try {
          if (flags.readyFile !== undefined) await writeOutputFile(flags.readyFile, `${server.url}\n`);
          say(`stopping on ${await stopped}: no new connections, running transfers get 10 s (signal again to stop at once)`);
        } finally {
          await server.close();
        }
      }, false),
    );
}
