/** Where a partition's delivery skipped offsets: the next expected offset and the one that came. */
export interface OffsetGap {
  expectedOffset: bigint;
  firstOffset: bigint;
}

/**
 * The first gap in one partition's delivery, or null. `expected` is the offset the consumer was
 * to read next (undefined: not known yet, so the batch's first offset becomes the baseline).
 * Offsets of these topics are consecutive (no compaction, no transactions), so an offset past
 * the expected one means messages were deleted, compacted or skipped by an offset reset. An
 * offset before it is a redelivery (harmless: consumers are idempotent), never a gap.
 */
export function findOffsetGap(
  expected: bigint | undefined,
  offsets: readonly bigint[],
): OffsetGap | null {
  let next = expected;
  for (const offset of offsets) {
    if (next !== undefined && offset > next) return { expectedOffset: next, firstOffset: offset };
    if (next === undefined || offset + 1n > next) next = offset + 1n;
  }
  return null;
}
