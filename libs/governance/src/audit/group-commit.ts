/**
 * Group commit: items submitted while a write is under way are written together by the next one
 * (one statement or transaction for the lot), so 50 concurrent calls cost a few round trips
 * instead of 50 serialised ones. Each submitter is answered only once its item is written; when
 * a group's write fails, every submitter in it gets the error.
 */
export class GroupCommit<T, R> {
  private readonly queued: Array<{
    item: T;
    resolve: (result: R) => void;
    reject: (error: unknown) => void;
  }> = [];
  private flushing: Promise<void> | undefined;

  constructor(
    /** Writes a group; answers one result per item, in order. */
    private readonly write: (items: T[]) => Promise<R[]>,
    private readonly maxGroup = 500,
  ) {}

  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queued.push({ item, resolve, reject });
      this.flushing ??= this.flush();
    });
  }

  private async flush(): Promise<void> {
    try {
      while (this.queued.length > 0) {
        const group = this.queued.splice(0, this.maxGroup);
        try {
          const results = await this.write(group.map((q) => q.item));
          group.forEach((q, i) => q.resolve(results[i]));
        } catch (error) {
          for (const q of group) q.reject(error);
        }
      }
    } finally {
      this.flushing = undefined;
    }
  }
}
