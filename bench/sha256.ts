/**
 * The verify benchmark's peer: node's raw sha256 over a file, nothing else (no
 * parsing, no signature), read in 1 MiB blocks. Prints the hex digest.
 */
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';

const path = process.argv[2];
if (path === undefined) throw new Error('usage: node sha256.js FILE');
const handle = await open(path, 'r');
const hash = createHash('sha256');
const buffer = Buffer.allocUnsafe(1024 * 1024);
try {
  for (;;) {
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
    if (bytesRead === 0) break;
    hash.update(buffer.subarray(0, bytesRead));
  }
} finally {
  await handle.close();
}
process.stdout.write(`${hash.digest('hex')}\n`);
