import { AirlockError } from '../errors.js';
import type { Platform } from './schemas.js';

/** Parses `os/arch[/variant]` as given to `--platform`. */
export function parsePlatform(text: string): Platform {
  const parts = text.trim().split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => p === '')) {
    throw new AirlockError('USAGE', `invalid platform "${text}": expected OS/ARCH[/VARIANT]`, {
      hint: 'write OS/ARCH or OS/ARCH/VARIANT, e.g. linux/amd64 or linux/arm64/v8',
    });
  }
  const [os, architecture, variant] = parts as [string, string, string | undefined];
  return variant === undefined ? { os, architecture } : { os, architecture, variant };
}

export function formatPlatform(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter((x) => x !== undefined && x !== '').join('/');
}

/** Variants the runtimes treat as implied when absent (containerd's platforms.Normalize). */
function normalizedVariant(p: Platform): string | undefined {
  if (p.architecture === 'arm64' && (p.variant === undefined || p.variant === 'v8')) return 'v8';
  if (p.architecture === 'arm' && p.variant === undefined) return 'v7';
  return p.variant;
}

/**
 * Whether a manifest's platform satisfies a wanted one. A wanted platform without a
 * variant matches every variant of that os/arch; `arm64` and `arm64/v8` are the same.
 */
export function platformMatches(wanted: Platform, actual: Platform | undefined): boolean {
  if (actual === undefined) return false;
  if (wanted.os !== actual.os || wanted.architecture !== actual.architecture) return false;
  if (wanted.variant === undefined) return true;
  return normalizedVariant(wanted) === normalizedVariant(actual);
}
