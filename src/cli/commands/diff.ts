import type { CAC } from 'cac';
import { diff } from '../../bundle/diff.js';
import { formatBytes, loadPublicKeys } from '../options.js';
import { processIo, runAction } from '../run.js';
import { printable as p } from '../text.js';

export function register(cli: CAC): void {
  cli
    .command('diff <old> <new>', 'What changed between two bundles, airlock.json files or receipts: images and charts added, removed, changed; layers added')
    .option('--key <pub>', 'Both sides must be signed by this key (repeatable)')
    .option('--json', 'Print the differences as JSON')
    .example('  airlock diff platform-1.4.2.tar platform-1.5.0.tar --key vendor.pub')
    .action((oldInput: string, newInput: string, flags: { key?: unknown; json?: boolean }) =>
      runAction(async () => {
        const keys = await loadPublicKeys(flags.key);
        const r = await diff(oldInput, newInput, { keys });
        if (flags.json) {
          processIo.out(JSON.stringify({ ok: true, ...r }));
          return;
        }
        // Names come from the bundles: every one goes through printable().
        processIo.out(`old: ${p(r.old.name)} (${r.old.form}${r.old.signed ? ', signature checked' : ', signature NOT checked'})`);
        processIo.out(`new: ${p(r.new.name)} (${r.new.form}${r.new.signed ? ', signature checked' : ', signature NOT checked'})`);
        for (const c of r.changed) {
          processIo.out(`changed    ${c.kind} ${p(c.repository)} ${p(c.old.tag)} -> ${p(c.new.tag)} (${c.old.digest.slice(0, 19)} -> ${c.new.digest.slice(0, 19)})`);
          for (const pl of c.platformsAdded) processIo.out(`  + platform ${p(pl)}`);
          for (const pl of c.platformsRemoved) processIo.out(`  - platform ${p(pl)}`);
          for (const l of c.layersAdded) processIo.out(`  + layer ${l.digest} ${formatBytes(l.size)}`);
          for (const l of c.layersRemoved) processIo.out(`  - layer ${l.digest} ${formatBytes(l.size)}`);
        }
        for (const a of r.added) processIo.out(`added      ${a.kind} ${p(a.repository)}:${p(a.tag)} ${a.digest.slice(0, 19)}`);
        for (const a of r.removed) processIo.out(`removed    ${a.kind} ${p(a.repository)}:${p(a.tag)} ${a.digest.slice(0, 19)}`);
        for (const a of r.attachmentsAdded) processIo.out(`added      signature/SBOM ${p(a.repository)}:${p(a.tag)}`);
        for (const a of r.attachmentsRemoved) processIo.out(`removed    signature/SBOM ${p(a.repository)}:${p(a.tag)}`);
        for (const a of r.unchanged) processIo.out(`unchanged  ${a.kind} ${p(a.repository)}:${p(a.tag)}`);
        processIo.out(`new layer bytes: ${formatBytes(r.bytesAdded)}`);
      }, flags.json === true),
    );
}
