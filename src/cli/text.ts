/**
 * Printing text that came from outside: a bundle (unverified until verify says
 * so), a registry, a chart. Such strings may carry terminal escape sequences (a
 * fake "VERIFIED" line, a changed window title, a cleared screen) or newlines
 * that start a fake line of output. Every command prints them through here.
 */

/**
 * C0 controls, DEL, C1 controls (U+009B is a one-character CSI on many
 * terminals), line and paragraph separators, and the bidirectional overrides
 * that make text display in another order than it reads.
 */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
// eslint-disable-next-line no-control-regex
const CONTROL_BUT_NEWLINE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** `\u001b`: the JSON escape, so the result is still valid inside a JSON string. */
function escape(c: string): string {
  return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/** One string from outside, made safe to print inside a line: every control character escaped, newlines too. */
export function printable(text: string): string {
  return text.replace(CONTROL, escape);
}

/**
 * A whole line (or lines) about to be written: control characters escaped except
 * the newlines the command itself put there. The last line of defence, so a
 * string a command forgot to pass through printable() cannot drive the terminal.
 * JSON lines pass unchanged in meaning: JSON.stringify already escapes C0, and
 * the \u form is valid JSON for the rest.
 */
export function safeLine(line: string): string {
  return line.replace(CONTROL_BUT_NEWLINE, escape);
}

/**
 * Left-aligned columns, two spaces apart, every cell through printable(). Widths
 * are found with a loop: rows may be many, and spreading them into Math.max
 * overflows the stack.
 */
export function table(input: readonly (readonly string[])[]): string[] {
  // Cells come from bundles, charts and registries: escaped before they are measured.
  const rows = input.map((r) => r.map(printable));
  const widths: number[] = [];
  for (const row of rows) {
    for (let i = 0; i < row.length; i++) widths[i] = Math.max(widths[i] ?? 0, (row[i] ?? '').length);
  }
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ').trimEnd());
}

/** Exit status of a process killed by SIGPIPE, as the shell reports it (128 + 13). */
export const SIGPIPE_EXIT = 141;

/**
 * `airlock inspect b.tar | head -1`: when the reader of stdout goes away, stop
 * quietly, as Unix tools do (they die of SIGPIPE), instead of crashing with an
 * EPIPE stack trace. Other write errors are left to Node's default handling.
 */
export function exitQuietlyOnClosedStdout(stream: NodeJS.WriteStream = process.stdout, exit: (code: number) => void = (code) => process.exit(code)): void {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE' || err.code === 'ERR_STREAM_DESTROYED') {
      exit(SIGPIPE_EXIT);
      return;
    }
    throw err;
  });
}
