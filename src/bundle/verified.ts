import { AirlockError } from '../errors.js';
import { openSignedBundle, type OpenedBundle } from './read.js';
import { verifySignatures, type SignaturePolicy, type Signer } from './signers.js';

/**
 * A bundle whose signatures were checked against a policy. Trust is a type: the
 * constructor is private and the class carries a private field, so no other value
 * (a plain object shaped like it, an OpenedBundle) passes where one is required.
 * Everything that acts on bundle contents (push, unpack, sign's rewrite, values)
 * takes a VerifiedBundle; only `VerifiedBundle.check` makes one.
 */
export class VerifiedBundle {
  /** Nominal brand: TypeScript compares classes with #private fields by identity, not shape. */
  readonly #checked = true;

  private constructor(
    readonly bundle: OpenedBundle,
    /** Who signed, as the policy required; empty only when the policy allowed that explicitly. */
    readonly signers: readonly Signer[],
  ) {}

  /** Checks the signatures over airlock.json; throws SIGNATURE_MISSING / SIGNATURE_INVALID. */
  static async check(bundle: OpenedBundle, policy: SignaturePolicy): Promise<VerifiedBundle> {
    return new VerifiedBundle(bundle, await verifySignatures(bundle, policy));
  }

  /** For JavaScript callers, whom the type system does not stop: fails unless `value` came from check(). */
  static assert(value: unknown, what: string): asserts value is VerifiedBundle {
    if (!(value instanceof VerifiedBundle) || !value.#checked) {
      throw new AirlockError('INTERNAL', `${what} needs a bundle whose signature was checked (VerifiedBundle.check)`, {
        hint: 'open it with openVerifiedBundle(input, policy)',
      });
    }
  }

  get name(): string {
    return this.bundle.reader.name;
  }

  close(): Promise<void> {
    return this.bundle.close();
  }
}

/** Opens a bundle in any form and checks its signatures; closes it again when the check fails. */
export async function openVerifiedBundle(input: string | readonly string[], policy: SignaturePolicy): Promise<VerifiedBundle> {
  const bundle = await openSignedBundle(input);
  try {
    return await VerifiedBundle.check(bundle, policy);
  } catch (err) {
    await bundle.close();
    throw err;
  }
}
