/**
 * Manifests held after resolve/push, so the fetch or tag that follows needs no second
 * GET. One per client, bounded in entries and bytes, keyed by repository and digest.
 */
export class ManifestCache {
  private readonly entries = new Map<string, Buffer>();
  private bytes = 0;

  constructor(
    private readonly maxEntries = 256,
    private readonly maxBytes = 8 * 1024 * 1024,
  ) {}

  get(repository: string, digest: string): Buffer | undefined {
    return this.entries.get(`${repository}@${digest}`);
  }

  put(repository: string, digest: string, bytes: Buffer): void {
    const key = `${repository}@${digest}`;
    if (this.entries.has(key)) return;
    this.entries.set(key, bytes);
    this.bytes += bytes.length;
    // Oldest first out: the copy walks a graph top-down, so recent entries are the ones asked for next.
    for (const [k, value] of this.entries) {
      if (this.entries.size <= this.maxEntries && this.bytes <= this.maxBytes) break;
      this.entries.delete(k);
      this.bytes -= value.length;
    }
  }
}
