/** The benchmark's Markdown report: measured tables, ratios, and which targets hold. */
import type { Series, Stats } from './measure.js';

export interface Pair {
  airlock: Series;
  peer: Series;
}

export interface SetResult {
  name: string;
  images: number;
  /** Unique layer bytes of the set. */
  bytes: number;
  /** Size of the airlock bundle tarball. */
  bundleBytes: number;
  reps: number;
  pack: Pair;
  push: Pair;
  /** The same push again, everything already present. */
  push2: Pair;
  /** Peer: node's raw sha256 over the tarball. */
  verify: Pair;
}

export interface Report {
  machine: {
    cpu: string;
    cores: number;
    memoryGiB: number;
    kernel: string;
    node: string;
    skopeo: string;
    registry: string;
    loadBefore: number;
    loadAfter?: number;
  };
  quick: boolean;
  minutes: number;
  results: SetResult[];
  notes?: string | undefined;
}

const MiB = 1024 * 1024;

function secs(s: Stats): string {
  if (s.n === 0) return '–';
  const f = (x: number): string => (x < 10 ? x.toFixed(2) : x.toFixed(1));
  return s.n === 1 ? `${f(s.median)}` : `${f(s.median)} (${f(s.min)}–${f(s.max)})`;
}

function rate(bytes: number, s: Stats): string {
  if (s.n === 0) return '–';
  const f = (t: number): string => `${Math.round(bytes / 1e6 / t)}`;
  // A longer time is a lower rate: min–max of the rate come from max–min of the time.
  return s.n === 1 ? `${f(s.median)} MB/s` : `${f(s.median)} (${f(s.max)}–${f(s.min)}) MB/s`;
}

const mib = (bytes: number): string => (bytes === 0 ? '–' : `${Math.round(bytes / MiB)}`);

interface Target {
  what: string;
  met: boolean | undefined;
  measured: string;
}

/** `ratio <= limit`, on medians; undefined when a side was not measured. */
function ratioTarget(what: string, pair: Pair, limit: number): Target {
  const a = pair.airlock.wall();
  const p = pair.peer.wall();
  if (a.n === 0 || p.n === 0) return { what, met: undefined, measured: 'not measured' };
  const r = a.median / p.median;
  return { what, met: r <= limit, measured: `${r.toFixed(2)}×` };
}

export function renderReport(report: Report): string {
  const m = report.machine;
  const byName = new Map(report.results.map((r) => [r.name, r]));
  const S = byName.get('S');
  const L = byName.get('L');
  const D = byName.get('2xL');
  const lines: string[] = [];
  const out = (s = ''): void => void lines.push(s);

  out('# airlock benchmark results');
  out();
  out(`Written by \`npm run bench${report.quick ? ' -- --quick' : ''}\` (bench/run.ts) on ${new Date().toISOString().slice(0, 10)}, ${report.minutes.toFixed(1)} minutes.${report.quick ? ' **Quick run: few repetitions, for checking the bench, not for quoting.**' : ''}`);
  out();
  out(`- Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB memory, Linux ${m.kernel}; load average ${m.loadBefore.toFixed(2)} before, ${m.loadAfter?.toFixed(2) ?? '?'} after (the machine is shared: other work ran alongside).`);
  out(`- Tools: node ${m.node}, ${m.skopeo}, ${m.registry}; both registries on 127.0.0.1 (plain http, filesystem storage).`);
  out('- Data (generated from fixed seeds, incompressible):');
  for (const r of report.results) {
    out(`  - ${r.name}: ${r.images} images, ${(r.bytes / 1e6).toFixed(0)} MB of unique layers, bundle ${(r.bundleBytes / 1e6).toFixed(0)} MB${r.name === '2xL' ? ' (L plus a disjoint copy of L: airlock only, for memory)' : `; ${r.reps} alternating repetitions`}.`);
  }
  out('- Each cell: median (min–max) wall seconds of the real commands as users run them (`node bin/airlock …`, `skopeo …`, `tar …`), child processes included.');
  out();

  out('## Time');
  out();
  out('| set | operation | airlock | peer | airlock / peer |');
  out('| --- | --- | --- | --- | --- |');
  for (const r of report.results.filter((x) => x.name !== '2xL')) {
    const row = (op: string, pair: Pair, peer: string): void => {
      const a = pair.airlock.wall();
      const p = pair.peer.wall();
      const ratio = a.n > 0 && p.n > 0 ? `**${(a.median / p.median).toFixed(2)}**` : '–';
      out(`| ${r.name} | ${op} | ${secs(a)} s | ${secs(p)} s (${peer}) | ${ratio} |`);
    };
    row('pack', r.pack, '`skopeo copy --all` per image into one OCI layout, then `tar -cf`');
    row('push into an empty registry', r.push, '`tar -xf`, then `skopeo copy --all` per image');
    row('push again, all present', r.push2, '`skopeo copy --all` per image');
    row('verify', r.verify, "node's raw sha256 over the tarball");
    const va = r.verify.airlock.wall();
    const vp = r.verify.peer.wall();
    out(`| ${r.name} | verify throughput | ${rate(r.bundleBytes, va)} | ${rate(r.bundleBytes, vp)} | ${va.n > 0 && vp.n > 0 ? `**${(vp.median / va.median).toFixed(2)}** (rate ratio)` : '–'} |`);
  }
  if (D !== undefined) {
    out(`| 2xL | pack / push / push again / verify (airlock) | ${secs(D.pack.airlock.wall())} / ${secs(D.push.airlock.wall())} / ${secs(D.push2.airlock.wall())} / ${secs(D.verify.airlock.wall())} s | – | – |`);
  }
  out();

  out('## CPU (user + system seconds, median; the registry processes not included)');
  out();
  out('| set | pack airlock / peer | push airlock / peer | verify airlock / raw sha256 |');
  out('| --- | --- | --- | --- |');
  for (const r of report.results.filter((x) => x.name !== '2xL')) {
    const c = (s: Series): string => (s.samples.length === 0 ? '–' : s.cpu().median.toFixed(2));
    out(`| ${r.name} | ${c(r.pack.airlock)} / ${c(r.pack.peer)} | ${c(r.push.airlock)} / ${c(r.push.peer)} | ${c(r.verify.airlock)} / ${c(r.verify.peer)} |`);
  }
  out();

  out('## Peak memory of the airlock commands (RSS, MiB, largest over the repetitions)');
  out();
  const cols = [S, L, D].filter((x): x is SetResult => x !== undefined);
  out(`| command | ${cols.map((c) => c.name).join(' | ')} | L → 2xL |`);
  out(`| --- | ${cols.map(() => '---').join(' | ')} | --- |`);
  const growth = (pick: (r: SetResult) => Series): string => {
    if (L === undefined || D === undefined) return '–';
    const a = pick(L).peakRss();
    const b = pick(D).peakRss();
    return a === 0 || b === 0 ? '–' : `${b >= a ? '+' : ''}${(((b - a) / a) * 100).toFixed(0)}%`;
  };
  for (const [name, pick] of [
    ['pack', (r: SetResult) => r.pack.airlock],
    ['push', (r: SetResult) => r.push.airlock],
    ['push again', (r: SetResult) => r.push2.airlock],
    ['verify', (r: SetResult) => r.verify.airlock],
  ] as const) {
    out(`| ${name} | ${cols.map((c) => mib(pick(c).peakRss())).join(' | ')} | ${growth(pick)} |`);
  }
  out();

  const targets: Target[] = [];
  if (S) targets.push(ratioTarget('pack on S at most 0.5× skopeo', S.pack, 0.5));
  if (L) targets.push(ratioTarget('pack on L at most 0.6× skopeo', L.pack, 0.6));
  if (S) targets.push(ratioTarget('push on S at most 0.5× extract + skopeo', S.push, 0.5));
  if (L) targets.push(ratioTarget('push on L at most 0.7× extract + skopeo', L.push, 0.7));
  if (S) {
    const s = S.push2.airlock.wall();
    targets.push({ what: 'second push on S under 0.5 s', met: s.n > 0 ? s.median < 0.5 : undefined, measured: `${secs(s)} s` });
  }
  for (const r of [S, L].filter((x): x is SetResult => x !== undefined)) {
    const a = r.verify.airlock.wall();
    const p = r.verify.peer.wall();
    targets.push({ what: `verify on ${r.name} at least 0.8× raw sha256 throughput`, met: a.n > 0 && p.n > 0 ? p.median / a.median >= 0.8 : undefined, measured: a.n > 0 && p.n > 0 ? `${(p.median / a.median).toFixed(2)}×` : '–' });
  }
  const rssCols = [L, D].filter((x): x is SetResult => x !== undefined);
  const all = rssCols.flatMap((r) => [r.pack.airlock, r.push.airlock, r.push2.airlock, r.verify.airlock]).map((s) => s.peakRss());
  if (all.length > 0) {
    const peak = Math.max(...all);
    targets.push({ what: 'peak RSS under 150 MiB (every command, L and 2xL)', met: peak < 150 * MiB, measured: `${mib(peak)} MiB at most` });
  }
  if (L && D) {
    const pairs = (r: SetResult): number[] => [r.pack.airlock, r.push.airlock, r.verify.airlock].map((s) => s.peakRss());
    const l = pairs(L);
    const d = pairs(D);
    const worst = Math.max(...l.map((v, i) => (d[i]! - v) / v));
    targets.push({ what: 'peak RSS not growing from L to 2xL (within 10%)', met: worst <= 0.1, measured: `largest change ${worst >= 0 ? '+' : ''}${(worst * 100).toFixed(0)}%` });
  }
  out('## Targets');
  out();
  out('| target | measured | |');
  out('| --- | --- | --- |');
  for (const t of targets) out(`| ${t.what} | ${t.measured} | ${t.met === undefined ? 'not measured' : t.met ? 'met' : '**missed**'} |`);
  out();
  if (report.notes !== undefined) {
    out(report.notes.trim());
    out();
  }
  return `${lines.join('\n')}\n`;
}
