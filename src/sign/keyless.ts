/**
 * Keyless (certificate) verification, offline, against a Sigstore trusted root
 * (TrustedRoot protobuf JSON, e.g. `trusted_root.json` from the sigstore TUF
 * repository, or one listing an internal Fulcio-like CA).
 *
 * Identity and issuer are matched EXACTLY, by string equality. @sigstore/verify's
 * policy treats the identity as an unanchored regular expression, so it is not
 * used for this: `alice@example.com` must not accept `alice@example.com.evil`.
 */
import { readFile, stat } from 'node:fs/promises';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { Verifier, toSignedEntity, toTrustMaterial, type SignedEntity, type TrustMaterial } from '@sigstore/verify';
import { AirlockError, messageOf } from '../errors.js';
import { AIRLOCK_PAYLOAD_TYPE } from './dsse.js';
import { checkEnvelope } from './envelope.js';
import type { SignatureFile } from './signatures.js';

const TRUSTED_ROOT_LIMIT = 4 * 1024 * 1024;

export interface KeylessOptions {
  trustedRootPath: string;
  /** The certificate's SAN (URI or email), exactly. */
  certificateIdentity: string;
  /** The OIDC issuer extension (1.3.6.1.4.1.57264.1.8, or legacy .1.1), exactly. */
  certificateIssuer: string;
  payloadType?: string;
  /**
   * The time to check the certificate chain at when the bundle has no
   * timestamp (tlog or TSA) verified by the trusted root. Default: now.
   */
  now?: Date;
  /** Minimum counts of verified transparency log entries, SCTs, timestamps. Default 0 (offline). */
  tlogThreshold?: number;
  ctlogThreshold?: number;
  timestampThreshold?: number;
}

export interface KeylessSigner {
  signature: string;
  identity: string;
  issuer: string;
}

function rootError(path: string, what: string, cause?: unknown): AirlockError {
  return new AirlockError('KEY_INVALID', `trusted root ${path} ${what}`, {
    hint: 'Pass a Sigstore trusted_root.json (TrustedRoot JSON) that lists the certificate authority.',
    cause,
  });
}

/** Reads a trusted root JSON file into @sigstore/verify trust material. */
export async function loadTrustedRoot(path: string): Promise<TrustMaterial> {
  let text: string;
  try {
    const info = await stat(path);
    if (info.size > TRUSTED_ROOT_LIMIT) throw rootError(path, `is ${info.size} bytes, over the ${TRUSTED_ROOT_LIMIT}-byte limit`);
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (err instanceof AirlockError) throw err;
    throw new AirlockError('IO', `cannot read trusted root ${path}: ${messageOf(err)}`, {
      hint: 'Check the path and its permissions.',
      cause: err,
    });
  }
  let root: TrustedRoot;
  try {
    root = TrustedRoot.fromJSON(JSON.parse(text));
  } catch (err) {
    throw rootError(path, `cannot be read: ${messageOf(err)}`, err);
  }
  if (!/^application\/vnd\.dev\.sigstore\.trustedroot/.test(root.mediaType)) {
    throw rootError(path, `has media type "${root.mediaType}", not a Sigstore trusted root`);
  }
  if (root.certificateAuthorities.length === 0) {
    throw rootError(path, 'lists no certificate authority');
  }
  try {
    return toTrustMaterial(root, () => {
      throw new Error('keyless verification does not take public keys');
    });
  } catch (err) {
    throw rootError(path, `holds an unusable certificate or key: ${messageOf(err)}`, err);
  }
}

/**
 * @sigstore/verify checks the certificate chain once per verified timestamp,
 * and not at all when there is none. An offline bundle may carry none, so then
 * the chain is checked at `now`: a stand-in timestamp shaped the way the
 * verifier reads transparency-log times. It is only a time, never a log entry:
 * it is not added to `tlogEntries`, so no log is claimed to have seen anything.
 */
export function withVerificationTime(entity: SignedEntity, now: Date): SignedEntity {
  const hasUsable = entity.timestamps.some(
    (t) => t.$case === 'timestamp-authority' || t.tlogEntry.inclusionPromise !== undefined,
  );
  if (hasUsable) return entity;
  const standIn = {
    $case: 'transparency-log',
    tlogEntry: {
      logIndex: '0',
      logId: { keyId: Buffer.from('airlock:verification-time') },
      kindVersion: undefined,
      integratedTime: String(Math.floor(now.getTime() / 1000)),
      inclusionPromise: { signedEntryTimestamp: Buffer.alloc(0) },
      inclusionProof: undefined,
      canonicalizedBody: Buffer.alloc(0),
    },
  } as unknown as SignedEntity['timestamps'][number];
  return { ...entity, timestamps: [standIn] };
}

/** Verifies a keyless (certificate) signature over `payload` for one exact identity and issuer. */
export async function verifyKeyless(payload: Uint8Array, file: SignatureFile, options: KeylessOptions): Promise<KeylessSigner> {
  if (!options.certificateIdentity || !options.certificateIssuer) {
    throw new AirlockError('USAGE', 'keyless verification needs both a certificate identity and an OIDC issuer', {
      hint: 'Pass --certificate-identity and --certificate-oidc-issuer, exactly as in the signing certificate.',
    });
  }
  const trust = await loadTrustedRoot(options.trustedRootPath);
  checkEnvelope(file, payload, options.payloadType ?? AIRLOCK_PAYLOAD_TYPE);
  const material = file.bundle.verificationMaterial.content;
  if (material.$case === 'publicKey') {
    throw new AirlockError('SIGNATURE_INVALID', `signature ${file.name} was made with a key (hint ${material.publicKey.hint || 'none'}), not a certificate`, {
      hint: "Verify it with the signer's public key (--key) instead.",
    });
  }
  const verifier = new Verifier(trust, {
    tlogThreshold: options.tlogThreshold ?? 0,
    ctlogThreshold: options.ctlogThreshold ?? 0,
    timestampThreshold: options.timestampThreshold ?? 0,
  });
  let identity: string | undefined;
  let issuer: string | undefined;
  try {
    const entity = withVerificationTime(toSignedEntity(file.bundle), options.now ?? new Date());
    const signer = verifier.verify(entity);
    identity = signer.identity?.subjectAlternativeName;
    issuer = signer.identity?.extensions?.issuer;
  } catch (err) {
    throw new AirlockError('SIGNATURE_INVALID', `signature ${file.name} does not verify against trusted root ${options.trustedRootPath}: ${describe(err)}`, {
      hint: 'Check that the trusted root lists the CA that issued the signing certificate, and that the bundle was not altered.',
      cause: err,
    });
  }
  if (identity !== options.certificateIdentity) {
    throw new AirlockError('SIGNATURE_INVALID', `signature ${file.name} was made by "${identity ?? '(no identity)'}", not "${options.certificateIdentity}"`, {
      hint: 'The identity must match the certificate exactly; check --certificate-identity.',
    });
  }
  if (issuer !== options.certificateIssuer) {
    throw new AirlockError('SIGNATURE_INVALID', `signature ${file.name} has OIDC issuer "${issuer ?? '(none)'}", not "${options.certificateIssuer}"`, {
      hint: 'The issuer must match the certificate exactly; check --certificate-oidc-issuer.',
    });
  }
  return { signature: file.name, identity, issuer };
}

/** @sigstore/verify errors wrap the useful reason one level down. */
function describe(err: unknown): string {
  const cause = (err as { cause?: unknown }).cause;
  return cause instanceof Error ? `${messageOf(err)} (${cause.message})` : messageOf(err);
}
