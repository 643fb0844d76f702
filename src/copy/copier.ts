import { setMaxListeners } from 'node:events';
import { Readable, addAbortSignal } from 'node:stream';
import { AirlockError, messageOf } from '../errors.js';
import { sha256Digest, shortDigest } from '../content/digest.js';
import { limiter } from '../content/limit.js';
import type { DestinationTarget, SourceTarget } from '../content/target.js';
import { readVerified, verified } from '../content/verify.js';
import { walk, type ManifestVisit } from '../content/walk.js';
import { isIndexType } from '../oci/media-types.js';
import { formatPlatform } from '../oci/platform.js';
import type { Descriptor } from '../oci/schemas.js';
import { availablePlatforms, keptEntries, rebuildIndex } from './filter.js';
import { emptyStats, type CopierOptions, type CopyEvent, type CopyOptions, type CopyResult, type CopyStats } from './types.js';

type Outcome = 'pushed' | 'skipped' | 'mounted';

interface Done {
  /** What is present at the destination; null when a platform filter left nothing of a nested index. */
  desc: Descriptor | null;
  outcome: Outcome;
  /** Bytes sent, when pushed. */
  bytes: number;
}

interface InFlight {
  promise: Promise<Done>;
  owner: Run;
}

export interface Copier {
  /** Copies one reference from `source` into the copier's destination and names it `tags`. */
  copy(source: SourceTarget, reference: string, tags?: readonly string[]): Promise<CopyResult>;
  /** Totals over every copy() of this copier. */
  readonly stats: CopyStats;
}

/** What the verifier calls the bytes in its messages; the surrounding text names the blob. */
const CONTENT = 'the content';

/**
 * A copy session into one destination. Several copy() calls (pack copies many images
 * into one layout) share its dedupe map and its limiter, so a layer shared by five
 * images is fetched and pushed once even when the images are copied concurrently.
 */
export function createCopier(destination: DestinationTarget, options: CopierOptions = {}): Copier {
  // Every concurrent copy() listens to the caller's signal: pack copies 20 images at once,
  // and Node would warn about a listener leak past 10.
  if (options.signal !== undefined) setMaxListeners(0, options.signal);
  const session: Session = {
    destination,
    options,
    slot: limiter(options.concurrency ?? 4),
    inFlight: new Map(),
    totals: emptyStats(),
  };
  return {
    copy: (source, reference, tags = []) => new Run(session, source, reference).execute(tags),
    get stats() {
      return { ...session.totals };
    },
  };
}

/** One-shot copy of `reference` from `source` to `destination`. */
export function copy(source: SourceTarget, reference: string, destination: DestinationTarget, options: CopyOptions = {}): Promise<CopyResult> {
  return createCopier(destination, options).copy(source, reference, options.tags ?? []);
}

interface Session {
  destination: DestinationTarget;
  options: CopierOptions;
  slot: <T>(task: () => Promise<T>) => Promise<T>;
  /** Keyed by `m:` or `b:` plus digest: a manifest and a blob go to different places in a registry. */
  inFlight: Map<string, InFlight>;
  totals: CopyStats;
}

/** One copy() call: its own abort scope, error and statistics. */
class Run {
  private readonly controller = new AbortController();
  private firstError: AirlockError | undefined;
  private readonly pending = new Set<Promise<unknown>>();
  private readonly counted = new Set<string>();
  private readonly stats = emptyStats();
  private readonly wrapped = new WeakSet<object>();

  constructor(
    private readonly session: Session,
    private readonly source: SourceTarget,
    private readonly reference: string,
  ) {
    // Every running transfer listens to this signal; more than 10 at once is normal here.
    setMaxListeners(0, this.controller.signal);
  }

  private get label(): string {
    return `${this.reference} from ${this.source.name}`;
  }

  async execute(tags: readonly string[]): Promise<CopyResult> {
    const userSignal = this.session.options.signal;
    const onUserAbort = (): void => this.fail(new AirlockError('INTERRUPTED', `copy of ${this.label} was interrupted`, { hint: 'run the command again to continue where it stopped' }));
    if (userSignal?.aborted) onUserAbort();
    userSignal?.addEventListener('abort', onUserAbort);
    try {
      const sourceRoot = await this.leaf(`resolving ${this.label}`, () => this.source.resolve(this.reference));
      const present = await this.copyRoot(sourceRoot);
      // Only a nested index can come back empty; the root throws instead.
      const root = present ?? sourceRoot;
      for (const tag of tags) {
        await this.leaf(`naming ${shortDigest(root.digest)}… "${tag}" in ${this.session.destination.name}`, () => this.session.destination.tag(root, tag));
      }
      return { root, sourceRoot, stats: { ...this.stats } };
    } catch (err) {
      this.fail(err);
      // Let running transfers settle (they were cut by the abort) so nothing writes after we return.
      while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
      throw this.firstError;
    } finally {
      userSignal?.removeEventListener('abort', onUserAbort);
    }
  }

  /** Records the first error and stops the run; later errors are consequences. */
  private fail(err: unknown): void {
    if (this.firstError === undefined) this.firstError = this.asAirlockError(err, `copying ${this.label}`);
    if (!this.controller.signal.aborted) this.controller.abort(this.firstError);
  }

  private throwIfStopped(): void {
    if (this.controller.signal.aborted) throw this.firstError ?? new AirlockError('INTERRUPTED', `copy of ${this.label} was interrupted`);
  }

  /** A unit of leaf work: takes a slot, never waits on other work while holding it. */
  private leaf<T>(what: string, task: () => Promise<T>): Promise<T> {
    const promise = this.session.slot(async () => {
      this.throwIfStopped();
      try {
        return await task();
      } catch (err) {
        const error = this.asAirlockError(err, what);
        this.fail(error);
        throw error;
      }
    });
    this.pending.add(promise);
    const forget = (): void => void this.pending.delete(promise);
    promise.then(forget, forget);
    return promise;
  }

  /** Names the reference and the blob in every error, keeping the code of the original. */
  private asAirlockError(err: unknown, what: string): AirlockError {
    if (typeof err === 'object' && err !== null && this.wrapped.has(err)) return err as AirlockError;
    let error: AirlockError;
    if (err instanceof AirlockError) {
      error = new AirlockError(err.code, `${what}: ${err.message}`, { hint: err.hint, cause: err, retryable: err.retryable });
    } else if (err instanceof Error && err.name === 'AbortError') {
      error = new AirlockError('INTERRUPTED', `${what}: interrupted`, { cause: err, hint: 'run the command again to continue where it stopped' });
    } else {
      error = new AirlockError('IO', `${what}: ${messageOf(err)}`, { cause: err, hint: 'run the command again; if it persists, check the source and destination' });
    }
    this.wrapped.add(error);
    return error;
  }

  /** Marks an error whose message already names the reference, so it is not wrapped again. */
  private final(error: AirlockError): AirlockError {
    this.wrapped.add(error);
    return error;
  }

  private emit(type: CopyEvent['type'], desc: Descriptor, bytes?: number): void {
    const onEvent = this.session.options.onEvent;
    if (onEvent === undefined) return;
    const base = { reference: this.reference, source: this.source.name, digest: desc.digest, size: desc.size, mediaType: desc.mediaType };
    onEvent(type === 'blob-progress' ? { ...base, type, bytes: bytes ?? 0 } : ({ ...base, type } as CopyEvent));
  }

  /**
   * Runs `work` once per key across the whole session. A caller that finds the work
   * already under way waits for it; if that belonged to another copy() which failed,
   * this one does the work itself rather than inherit a failure not its own.
   */
  private async once(key: string, work: () => Promise<Done>): Promise<Done> {
    for (;;) {
      this.throwIfStopped();
      const existing = this.session.inFlight.get(key);
      if (existing === undefined) {
        const entry: InFlight = { promise: work(), owner: this };
        this.session.inFlight.set(key, entry);
        // A failed attempt is forgotten so a later copy (a retry in the same session) tries again.
        entry.promise.catch(() => {
          if (this.session.inFlight.get(key) === entry) this.session.inFlight.delete(key);
        });
        const done = await entry.promise;
        this.account(key, done, true);
        return done;
      }
      try {
        const done = await existing.promise;
        this.account(key, done, existing.owner === this);
        return done;
      } catch (err) {
        if (existing.owner === this) throw err;
        if (this.session.inFlight.get(key) === existing) this.session.inFlight.delete(key);
      }
    }
  }

  /** Counts each digest once per run; work done by another copy() counts here as skipped. */
  private account(key: string, done: Done, mine: boolean): void {
    if (this.counted.has(key) || done.desc === null) return;
    this.counted.add(key);
    const isManifest = key.startsWith('m:');
    const outcome: Outcome = mine ? done.outcome : 'skipped';
    const add = (stats: CopyStats): void => {
      if (outcome === 'pushed') {
        stats.bytesPushed += done.bytes;
        if (isManifest) stats.manifestsPushed++;
        else stats.blobsPushed++;
      } else if (outcome === 'mounted') stats.blobsMounted++;
      else if (isManifest) stats.manifestsSkipped++;
      else stats.blobsSkipped++;
    };
    add(this.stats);
    if (mine) add(this.session.totals);
  }

  private blob(desc: Descriptor, kind: 'config' | 'layer'): Promise<Done> {
    const destination = this.session.destination;
    const what = `copying ${kind} ${desc.digest} of ${this.label}`;
    return this.once(`b:${desc.digest}`, () =>
      this.leaf(what, async (): Promise<Done> => {
        if (await destination.exists(desc)) {
          this.emit('blob-skipped', desc);
          return { desc, outcome: 'skipped', bytes: 0 };
        }
        if (destination.mount !== undefined && (await destination.mount(desc))) {
          this.emit('blob-mounted', desc);
          return { desc, outcome: 'mounted', bytes: 0 };
        }
        this.emit('blob-start', desc);
        const { raw, resumeAt } = await this.openBlob(desc);
        if (this.controller.signal.aborted) raw.destroy();
        this.throwIfStopped();
        const stream = addAbortSignal(this.controller.signal, verified(raw, desc, CONTENT));
        // A destination that fails before it reads must not turn a later abort into an uncaught
        // 'error' event; its own listeners still see every error, and the run keeps the first.
        stream.on('error', () => undefined);
        const sent = destination.reportsProgress === true && this.session.options.onEvent !== undefined;
        if (this.session.options.onEvent !== undefined && !sent) {
          // Observing the piped source costs nothing extra: pipe() already reads it by 'data'.
          let seen = 0;
          raw.on('data', (chunk: Buffer) => {
            seen += chunk.length;
            this.emit('blob-progress', desc, seen);
          });
        }
        const reopen = async (): Promise<Readable> => {
          this.throwIfStopped();
          return addAbortSignal(this.controller.signal, verified(await this.source.fetch(desc), desc, CONTENT));
        };
        try {
          await destination.push(desc, stream, {
            reopen,
            ...(sent ? { onProgress: (bytes: number) => this.emit('blob-progress', desc, bytes) } : {}),
            ...(resumeAt > 0 ? { resumeAt } : {}),
          });
        } finally {
          if (!stream.destroyed) stream.destroy();
        }
        this.emit('blob-done', desc);
        return { desc, outcome: 'pushed', bytes: desc.size };
      }),
    );
  }

  /**
   * A blob's bytes from the source; when the destination kept the first part of it
   * from an interrupted run and the source can start mid-blob, those bytes come from
   * the destination and only the rest from the source. The verifier still sees all.
   */
  private async openBlob(desc: Descriptor): Promise<{ raw: Readable; resumeAt: number }> {
    const destination = this.session.destination;
    const kept = destination.partial !== undefined && this.source.fetchesFrom === true ? await destination.partial(desc) : undefined;
    if (kept === undefined || kept.bytes <= 0 || kept.bytes >= desc.size) return { raw: await this.source.fetch(desc), resumeAt: 0 };
    const head = await kept.open();
    let tail: Readable;
    try {
      tail = await this.source.fetch(desc, { offset: kept.bytes });
    } catch (err) {
      head.destroy();
      throw err;
    }
    async function* both(): AsyncGenerator<Buffer> {
      try {
        for await (const chunk of head) yield chunk as Buffer;
        for await (const chunk of tail) yield chunk as Buffer;
      } finally {
        head.destroy();
        tail.destroy();
      }
    }
    return { raw: Readable.from(both(), { objectMode: false }), resumeAt: kept.bytes };
  }

  /** Reads a manifest in a slot, cut by the run's abort; the walk checks the size limit first. */
  private fetchManifest(desc: Descriptor, what: string): Promise<Buffer> {
    return this.leaf(what, async () => {
      const raw = await this.source.fetch(desc);
      if (this.controller.signal.aborted) raw.destroy();
      this.throwIfStopped();
      return readVerified(addAbortSignal(this.controller.signal, raw), desc, CONTENT);
    });
  }

  private pushManifest(desc: Descriptor, bytes: Buffer, what: string): Promise<void> {
    return this.leaf(what, async () => {
      // Verified again on the way out: a destination may rely on every push being checked.
      await this.session.destination.push(desc, verified(Readable.from([bytes]), desc, CONTENT));
      this.emit('manifest-pushed', desc);
    });
  }

  /** Copies a manifest and its subtree, children first, through the one graph walk. Returns what is present at the destination. */
  private async copyRoot(root: Descriptor): Promise<Descriptor | null> {
    const done = await walk<Done>(
      this.source,
      root,
      {
        manifest: (desc, visit) => {
          // An empty list (no --platform given) means no filter, not "no platform at all".
          const filtering = (this.session.options.platforms?.length ?? 0) > 0 && isIndexType(desc.mediaType);
          const isRoot = desc.digest === root.digest && visit.from === this.label;
          return this.once(`m:${desc.digest}`, () => (filtering ? this.filteredIndex(desc, visit, isRoot) : this.wholeManifest(desc, visit)));
        },
        blob: (desc, visit) => this.blob(desc, visit.role),
      },
      { where: this.label, fetch: (desc) => this.fetchManifest(desc, `copying ${isIndexType(desc.mediaType) ? 'index' : 'manifest'} ${desc.digest} of ${this.label}`) },
    );
    return done.desc;
  }

  private async wholeManifest(desc: Descriptor, visit: ManifestVisit<Done>): Promise<Done> {
    const destination = this.session.destination;
    const kind = isIndexType(desc.mediaType) ? 'index' : 'manifest';
    const what = `copying ${kind} ${desc.digest} of ${this.label}`;
    // Checked before the children are even listed: a present manifest means a present subtree.
    if (await this.leaf(what, () => destination.exists(desc))) {
      this.emit('manifest-skipped', desc);
      return { desc, outcome: 'skipped', bytes: 0 };
    }
    const { bytes } = await this.within(what, () => visit.expand());
    await this.pushManifest(desc, bytes, what);
    return { desc, outcome: 'pushed', bytes: bytes.length };
  }

  /** Runs a step of the walk, naming `what` in its errors (errors already named pass through). */
  private async within<T>(what: string, step: () => Promise<T>): Promise<T> {
    try {
      return await step();
    } catch (err) {
      throw this.asAirlockError(err, what);
    }
  }

  /** An index under a platform filter: kept whole when nothing is dropped, else rebuilt. */
  private async filteredIndex(desc: Descriptor, visit: ManifestVisit<Done>, isRoot: boolean): Promise<Done> {
    const wanted = this.session.options.platforms ?? [];
    const what = `copying index ${desc.digest} of ${this.label}`;
    const { bytes, parsed } = await this.within(what, () => visit.read());
    if (parsed.kind !== 'index') throw this.asAirlockError(new AirlockError('MANIFEST_INVALID', `manifest ${desc.digest} is declared an index but is not one`), what);
    const entries = parsed.index.manifests;

    // Nested indexes must be filtered first: their new digests go into this one.
    const nested = await Promise.all(entries.map((e) => (isIndexType(e.mediaType) ? visit.visit(e).then((d) => d.desc) : Promise.resolve(undefined))));
    const kept = keptEntries(entries, wanted, (i) => (nested[i] === undefined ? undefined : nested[i] !== null));
    if (kept.length === 0) {
      if (!isRoot) return { desc: null, outcome: 'skipped', bytes: 0 };
      const has = availablePlatforms(entries);
      throw this.final(new AirlockError('NOT_FOUND', `${this.label} has no image for ${wanted.map(formatPlatform).join(', ')}; it has ${has.length > 0 ? has.join(', ') : 'no platform-tagged images'}`, {
        hint: `choose --platform from: ${has.join(', ') || '(none)'}, or leave --platform out to copy every platform`,
      }));
    }
    const unchanged =
      kept.length === entries.length && kept.every((i) => nested[i] === undefined || (nested[i] as Descriptor).digest === (entries[i] as Descriptor).digest);

    let target = desc;
    let out = bytes;
    if (!unchanged) {
      out = rebuildIndex(
        bytes,
        kept.map((i) => {
          const present = nested[i] ?? (entries[i] as Descriptor);
          return { index: i, digest: present.digest, size: present.size };
        }),
      );
      target = { ...desc, digest: sha256Digest(out), size: out.length };
    }
    const destination = this.session.destination;
    if (await this.leaf(what, () => destination.exists(target))) {
      this.emit('manifest-skipped', target);
      return { desc: target, outcome: 'skipped', bytes: 0 };
    }
    await Promise.all(kept.filter((i) => nested[i] === undefined).map((i) => visit.visit(entries[i] as Descriptor)));
    await this.pushManifest(target, out, what);
    return { desc: target, outcome: 'pushed', bytes: out.length };
  }
}
