/**
 * Go's complex128, which only template constants produce (`{{ 1i }}`, `{{ 1+2i }}`).
 * It is not part of the shared value model (no chart value or function yields one), so
 * it lives here as a GoObject that the engine's fmt, truth and eq know.
 */

import { GoObject, type GoFunc, type GoValue } from './types.js';
import { formatFloat } from './ftoa.js';

export class GoComplex extends GoObject {
  readonly goType = 'complex128';

  constructor(
    readonly re: number,
    readonly im: number,
  ) {
    super();
  }

  field(): GoValue | GoFunc | undefined {
    return undefined;
  }

  /** `%v`: both parts in %g, the imaginary one always signed: `(1+2i)`. */
  format(): string {
    return `(${formatFloat(this.re, 'g', -1)}${signed(formatFloat(this.im, 'g', -1))}i)`;
  }
}

/** A float's text with a sign even when positive, as fmt's plus flag gives. */
export function signed(num: string): string {
  return num.startsWith('-') || num.startsWith('+') ? num : '+' + num;
}
