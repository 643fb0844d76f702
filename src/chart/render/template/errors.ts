/** The engine's one error type: Go's exact message, as `helm template` would print it. */

import { AirlockError } from '../../../errors.js';

export type TemplateErrorKind = 'parse' | 'exec';

export class TemplateError extends AirlockError {
  /** Whether parsing or executing failed. */
  readonly kind: TemplateErrorKind;

  constructor(kind: TemplateErrorKind, message: string, cause?: unknown) {
    super('SPEC_INVALID', message, cause === undefined ? {} : { cause });
    this.name = 'TemplateError';
    this.kind = kind;
  }
}
