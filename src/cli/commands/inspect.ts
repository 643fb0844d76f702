import type { CAC } from 'cac';
import { inspect } from '../../bundle/inspect.js';
import { bundleInput, formatBytes } from '../options.js';
import { processIo, runAction } from '../run.js';
import { printable as p, table } from '../text.js';

export function register(cli: CAC): void {
  cli
    .command('inspect <...bundle>', 'List the charts and images in a bundle, who signed it and when (reads no blob; run verify to check)')
    .option('--json', 'Print the summary as JSON')
    .example('  airlock inspect bundle.tar')
    .action((args: string[], flags: { json?: boolean }) =>
      runAction(async () => {
        const s = await inspect(bundleInput(args));
        if (flags.json) {
          processIo.out(JSON.stringify({ ok: true, ...s }));
          return;
        }
        // Everything below comes from the bundle, unverified: every string goes through printable().
        processIo.out(`bundle:   ${p(s.bundle)} (${s.form})`);
        processIo.out(`created:  ${p(s.created)} by ${p(s.tool)}`);
        if (s.signatures.length === 0) processIo.out('signed:   NOT SIGNED');
        for (const sig of s.signatures) processIo.out(`signed:   ${p(sig.signature)} claims ${p(sig.claims)} (run airlock verify --key to check)`);
        processIo.out('');
        const rows = [['KIND', 'REFERENCE', 'DIGEST', 'PLATFORMS', 'SIZE']];
        for (const a of s.artifacts) {
          rows.push([a.kind, a.name, a.digest.slice(0, 19), a.platforms.join(',') || '-', formatBytes(a.size)]);
        }
        for (const line of table(rows)) processIo.out(line);
        processIo.out('');
        for (const a of s.attached) {
          const kinds = Object.entries(a.kinds).map(([k, n]) => `${n} ${k}`).join(', ');
          const sig = a.signatures;
          const checked = sig.verified + sig.failed > 0 ? `; signatures verified at pack: ${sig.verified} ok, ${sig.failed} FAILED` : sig.unchecked > 0 ? '; signatures not checked at pack' : '';
          processIo.out(`attached: ${p(a.image)} (${p(a.platform)}): ${p(kinds)}${checked}`);
        }
        processIo.out(`total:    ${s.images} image(s), ${s.charts} chart(s), ${s.files} files, ${formatBytes(s.bytes)} (shared layers counted once)`);
        if (s.delta !== undefined) {
          processIo.out(`delta:    ${s.delta.omittedFiles} blob(s), ${formatBytes(s.delta.omittedBytes)} left out; needs its base on the far side:`);
          for (const b of s.delta.bases) processIo.out(`base:     ${p(b.kind)} ${p(b.name)} ${p(b.digest)}`);
        }
        if (s.root !== '') processIo.out(`note:     the layout is nested under ${p(s.root)}`);
        if (s.junk.length > 0) processIo.out(`note:     ${s.junk.length} junk file(s) ignored (${p(s.junk.slice(0, 3).join(', '))}${s.junk.length > 3 ? ', …' : ''})`);
        if (s.missingIndex) processIo.out('note:     index.json is missing; verify and unpack rebuild it from the signed manifest');
      }, flags.json === true),
    );
}
