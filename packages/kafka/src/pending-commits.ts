/**
 * The batches of one partition that were handled but are not durable yet (their rows still linger for ClickHouse),
 * in offset order. A partition's offset may be committed only up to the end of the longest run of durable batches
 * from the oldest one: committing past a batch still in flight would lose it in a crash. Pure bookkeeping, no I/O.
 */
export interface PendingBatch<T> {
  /** The batch's first offset: where to read again from when it fails. */
  readonly first: bigint;
  /** The offset after its last message: what a commit of it records. */
  readonly next: bigint;
  readonly size: number;
  readonly item: T;
}

interface Entry<T> extends PendingBatch<T> {
  durable: boolean;
}

export class PendingCommits<T> {
  private entries: Entry<T>[] = [];
  private messages = 0;
  /** The highest offset handed out for commit, so a replayed older batch never moves the commit back. */
  private committed = -1n;

  /** Messages handed over and not yet committable. */
  get size(): number {
    return this.messages;
  }

  get empty(): boolean {
    return this.entries.length === 0;
  }

  /** The oldest batch not yet committable: where the partition must be read again from if anything fails. */
  get oldest(): PendingBatch<T> | undefined {
    return this.entries[0];
  }

  push(batch: PendingBatch<T>): void {
    this.entries.push({ ...batch, durable: false });
    this.messages += batch.size;
  }

  /**
   * Marks the batch durable. Returns the batches that are now committable (the durable run from the oldest), oldest
   * first, with the offset to commit for them (none when a replayed older batch would move the commit back);
   * undefined when an older batch is still in flight.
   */
  settle(item: T): { readonly commit?: bigint; readonly batches: readonly PendingBatch<T>[] } | undefined {
    const entry = this.entries.find((e) => e.item === item);
    if (!entry) return undefined;
    entry.durable = true;
    let n = 0;
    while (n < this.entries.length && (this.entries[n] as Entry<T>).durable) n++;
    if (n === 0) return undefined;
    const batches = this.entries.slice(0, n);
    this.entries = this.entries.slice(n);
    for (const b of batches) this.messages -= b.size;
    const next = (batches.at(-1) as Entry<T>).next;
    if (next <= this.committed) return { batches };
    this.committed = next;
    return { commit: next, batches };
  }

  /** Forgets every batch (the partition is read again from its oldest, or was taken away); returns them. */
  clear(): PendingBatch<T>[] {
    const dropped = this.entries;
    this.entries = [];
    this.messages = 0;
    return dropped;
  }
}
