import type { GateResult } from '@linkage/domain';

/**
 * Formatted answers, remembered per gate decision (and the provenance they carry).
 *
 * Formatting is a pure function of the publication and the gate's decision, and the provenance
 * is read once per read-model version, so every asker holding the same decision (gate-memo.ts:
 * the same request and the same ledger state) gets the same answer object. The object is frozen
 * and marked shared, so the HTTP edge may keep its serialised bytes beside it
 * (http/serialised-answer.ts) and write them again, instead of serialising about 90 KB of JSON
 * afresh on every request of the LSOA breakdown. A new read-model version computes a new
 * publication, so a new request, a new decision and a new answer: nothing formatted at an older
 * version is found again. The gate, the ledger check and the audit entry still run on every
 * request, before this memo is asked.
 */
export class AnswerMemo<A extends object> {
  private readonly answers = new WeakMap<GateResult, WeakMap<object, A>>();

  /** The answer formatted for `gated` with `provenance`, formatting it on the first ask. */
  get(gated: GateResult, provenance: object, format: () => A): A {
    let byProvenance = this.answers.get(gated);
    if (!byProvenance) {
      byProvenance = new WeakMap();
      this.answers.set(gated, byProvenance);
    }
    let answer = byProvenance.get(provenance);
    if (!answer) {
      answer = shareAnswer(format());
      byProvenance.set(provenance, answer);
    }
    return answer;
  }
}

const shared = new WeakSet<object>();

/**
 * Freezes an answer that every asker of one gate decision is handed (so no caller can change
 * another's answer) and marks it shared.
 */
export function shareAnswer<A extends object>(answer: A): A {
  shared.add(deepFreeze(answer));
  return answer;
}

/** Whether `answer` is one shared answer object (its serialised bytes may be kept with it). */
export function isSharedAnswer(answer: object): boolean {
  return shared.has(answer);
}

function deepFreeze<T>(value: T, seen = new Set<object>()): T {
  if (value === null || typeof value !== 'object' || seen.has(value)) return value;
  seen.add(value);
  Object.freeze(value);
  for (const child of Object.values(value as object)) deepFreeze(child, seen);
  return value;
}
