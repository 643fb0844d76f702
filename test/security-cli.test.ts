/**
 * Strings from a bundle, a registry or a chart are printed escaped: no terminal
 * escape sequence, no fake line. And `airlock inspect b.tar | head -1` ends
 * quietly instead of crashing on EPIPE.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../src/cli/main.js';
import { printable, safeLine, table } from '../src/cli/text.js';
import { forgeTar, tarEntries } from './helpers/archives.js';
import { signedFixture, type SignedFixture } from './helpers/signed-bundle.js';

const ESC = '\u001b';
const TITLE = `${ESC}]0;pwned${ESC}\\`;
const FAKE = `app\n${ESC}[2K\rsigned:   sha256:trusted VERIFIED`;

let fx: SignedFixture;
let hostile: string;

beforeAll(async () => {
  fx = await signedFixture();
  // The genuine bundle with hostile strings in its (now unverifiable) airlock.json: inspect reads it unverified.
  const entries = await tarEntries(fx.path);
  const files = entries.map((e) => ({ path: e.path, data: fx.genuine.subarray(e.offset!, e.offset! + e.size) }));
  const manifest = JSON.parse(files[0]!.data.toString('utf8')) as { created: string; artifacts: { name: string }[]; tool: { version: string } };
  manifest.created = `2024-01-01${TITLE}`;
  manifest.tool.version = `1.0${ESC}[31m\u009b2J`;
  manifest.artifacts[0]!.name = FAKE;
  files[0] = { path: 'airlock.json', data: Buffer.from(JSON.stringify(manifest)) };
  hostile = await fx.save('hostile.tar', forgeTar(files));
});

afterAll(async () => {
  await fx.cleanup();
});

async function captured(args: string[]): Promise<{ out: string; err: string }> {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((out += String(chunk)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((err += String(chunk)), true));
  try {
    await main(['node', 'airlock', ...args]);
  } finally {
    o.mockRestore();
    e.mockRestore();
    process.exitCode = 0;
  }
  return { out, err };
}

// eslint-disable-next-line no-control-regex
const CONTROLS = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

describe('printing strings from outside (item 11)', () => {
  it('printable escapes every control character, newlines and bidi overrides included; safeLine keeps the newlines', () => {
    expect(printable(`a${ESC}[31mb\nc\u009b\u202e`)).toBe('a\\u001b[31mb\\u000ac\\u009b\\u202e');
    expect(safeLine(`x${ESC}]0;t\u0007\ny`)).toBe('x\\u001b]0;t\\u0007\ny');
    // Still valid JSON, meaning unchanged.
    const json = JSON.stringify({ s: `\u009b${ESC}` });
    expect(JSON.parse(safeLine(json))).toEqual({ s: `\u009b${ESC}` });
    expect(table([['A', 'B'], [`x${ESC}y`, 'z']])).toEqual([`A${' '.repeat('x\\u001by'.length - 1)}  B`, 'x\\u001by  z']);
  });

  it('inspect prints no escape sequence and no fake line from a hostile airlock.json', async () => {
    const { out } = await captured(['inspect', hostile]);
    expect(out).not.toMatch(CONTROLS);
    expect(out).toContain('created:  2024-01-01\\u001b]0;pwned\\u001b\\ by airlock 1.0\\u001b[31m\\u009b2J');
    expect(out).toContain('app\\u000a\\u001b[2K\\u000dsigned:   sha256:trusted VERIFIED');
    // Exactly one "signed:" line: the real one.
    expect(out.split('\n').filter((l) => l.startsWith('signed:'))).toHaveLength(1);
  });

  it('inspect --json stays valid JSON with the strings intact', async () => {
    const { out } = await captured(['inspect', hostile, '--json']);
    expect(out).not.toMatch(CONTROLS);
    const doc = JSON.parse(out) as { artifacts: { name: string }[]; created: string };
    expect(doc.artifacts[0]!.name).toBe(FAKE);
    expect(doc.created).toBe(`2024-01-01${TITLE}`);
  });

  it('errors naming hostile strings are escaped too (a C1 CSI in an entry name)', async () => {
    const file = await fx.save('c1.tar', forgeTar([{ path: 'x\u009b2J/../../evil', data: 'x' }]));
    const { err } = await captured(['inspect', file]);
    expect(err).toContain('c1.tar: entry "x\\u009b2J/../../evil" has a ".." component');
    expect(err).not.toMatch(CONTROLS);
  });
});

describe('a closed stdout (item 11)', () => {
  const bin = new URL('../bin/airlock', import.meta.url).pathname;

  /** Runs the built CLI (npm test builds it first) with its stdout read by `reader`, a shell pipeline stage. */
  function piped(reader: string, args: string[]): Promise<{ status: string; stderr: string; stdout: string }> {
    return new Promise((resolve) => {
      const quoted = [process.execPath, bin, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
      // bash for PIPESTATUS: the exit status of airlock itself, not of the reader.
      const child = spawn('bash', ['-c', `${quoted} | ${reader}; echo "status=\${PIPESTATUS[0]}" >&2`], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      let stdout = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('close', () => {
        const status = /status=(\d+)/.exec(stderr)?.[1] ?? '?';
        resolve({ status, stderr: stderr.replace(/status=\d+\n/, ''), stdout });
      });
    });
  }

  it('airlock inspect b.tar | head -1: one line, then a quiet stop', async () => {
    await readFile(new URL('../dist/airlock.mjs', import.meta.url));
    const r = await piped('head -1', ['inspect', fx.path]);
    expect(r.stdout).toBe('bundle:   bundle.tar (tar)\n');
    expect(r.stderr).toBe('');
    expect(['0', '141']).toContain(r.status);
  });

  it('a reader that is gone before the first line: exit 141 as for SIGPIPE, no EPIPE stack trace', async () => {
    const r = await piped('head -n 0', ['inspect', fx.path]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe('141');
  });
});
