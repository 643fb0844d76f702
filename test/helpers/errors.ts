import { expect } from 'vitest';
import { AirlockError } from '../../src/errors.js';

/** The AirlockError a promise fails with, checked to carry `code`; fails the test otherwise. */
export async function rejected(p: Promise<unknown>, code: string): Promise<AirlockError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AirlockError);
  expect((err as AirlockError).code).toBe(code);
  return err as AirlockError;
}
