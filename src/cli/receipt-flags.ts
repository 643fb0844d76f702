import type { Receipt } from '../bundle/receipt.js';
import { receiptText } from '../bundle/receipt.js';
import { writeOutputFile } from './options.js';
import { loadSigningKey } from './passphrase.js';

/** push --receipt FILE [--receipt-key KEY]: see bundle/receipt.ts. */
export interface ReceiptFlags {
  receipt?: string;
  receiptKey?: string;
}

export function withReceiptOptions<T extends { option: (raw: string, description: string) => T }>(command: T): T {
  return command
    .option('--receipt <file>', 'Write a receipt: every repository, tag and digest now in the registry (carry it back: the base of the next pack --base)')
    .option('--receipt-key <key>', "Sign the receipt with this key (the operator's)");
}

/** Loaded before the push, so a bad key fails before anything is sent. */
export async function receiptWriter(flags: ReceiptFlags): Promise<(receipt: Receipt | undefined) => Promise<void>> {
  const key = flags.receiptKey !== undefined ? await loadSigningKey(flags.receiptKey) : undefined;
  return async (receipt) => {
    if (flags.receipt !== undefined && receipt !== undefined) await writeOutputFile(flags.receipt, receiptText(receipt, key));
  };
}
