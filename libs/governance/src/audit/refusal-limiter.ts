/**
 * Anonymous refusals, rate-limited: per action and reason, the first `burst` of a window are
 * recorded one by one, the rest only counted and recorded as one aggregate entry when the
 * window closes. Anyone can send unauthenticated calls; without a limit they could grow the
 * append-only trail without bound. Pure bookkeeping: the caller owns the clock and the writes.
 */
export class RefusalLimiter {
  private readonly windows = new Map<string, { start: number; seen: number }>();

  constructor(
    readonly windowMs = Number(process.env.LINKAGE_AUDIT_REFUSAL_WINDOW_MS ?? 60_000),
    readonly burst = Number(process.env.LINKAGE_AUDIT_REFUSAL_BURST ?? 20),
  ) {}

  /**
   * Whether this refusal is recorded on its own (`record`), or only counted (`count`). The
   * first refusal counted in a window asks the caller to flush that window when it closes
   * (`flushAt`).
   */
  admit(key: string, now: number): { record: true } | { record: false; flushAt?: number } {
    let w = this.windows.get(key);
    if (!w || now - w.start >= this.windowMs) {
      w = { start: now, seen: 0 };
      this.windows.set(key, w);
    }
    w.seen += 1;
    if (w.seen <= this.burst) return { record: true };
    return w.seen === this.burst + 1
      ? { record: false, flushAt: w.start + this.windowMs }
      : { record: false };
  }

  /** Refusals of `key`'s window that were counted and not recorded; the window is closed. */
  drain(key: string): number {
    const w = this.windows.get(key);
    this.windows.delete(key);
    return w ? Math.max(0, w.seen - this.burst) : 0;
  }
}
