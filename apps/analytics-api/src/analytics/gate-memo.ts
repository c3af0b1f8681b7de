import {
  applyPublishingGate,
  newPopulations,
  type ReleasedPopulation,
  type GateRequest,
  type GateResult,
  type PublishingPolicy,
  type ReleaseLedgerState,
} from '@linkage/domain';

/**
 * The publishing gate's decisions, remembered per (request, ledger state).
 *
 * The gate is a pure function of the request, the policy and what the DSA holds. A request
 * computed once per read-model version is the same object for every asker, and the released-cell
 * ledger hands out the same state object until something new is recorded in it, so a repeat of
 * the same question by the same DSA (or by another DSA holding the same state) gets the decision
 * the gate made for exactly these inputs. Any change to the DSA's ledger is a new state object,
 * so the gate runs again, differencing check included: a remembered decision is never applied
 * against a ledger it was not made for. Entries go with their request or ledger state (weak
 * references), so nothing outlives the read-model version that made the request.
 *
 * Under 50 concurrent clients the gate's differencing and secondary suppression over hundreds of
 * cells (the LSOA breakdown, the cohort) took most of the event loop; see docs/BENCHMARKS.md.
 */
export class GateMemo {
  private readonly decisions = new WeakMap<GateRequest, WeakMap<ReleaseLedgerState, GateResult>>();

  constructor(private readonly policy: PublishingPolicy) {}

  /** `applyPublishingGate(request, policy, ledger)`, computed once per request and ledger state. */
  apply(request: GateRequest, ledger: ReleaseLedgerState): GateResult {
    let byLedger = this.decisions.get(request);
    if (!byLedger) {
      byLedger = new WeakMap();
      this.decisions.set(request, byLedger);
    }
    let decided = byLedger.get(ledger);
    if (!decided) {
      // Shared by every asker from now on: frozen so that no caller can change another's answer.
      decided = freezeResult(applyPublishingGate(request, this.policy, ledger));
      byLedger.set(ledger, decided);
    }
    return decided;
  }
}

function freezeResult(result: GateResult): GateResult {
  Object.freeze(result.cells);
  Object.freeze(result.suppressed);
  Object.freeze(result.released);
  return Object.freeze(result);
}

/**
 * Whether the DSA already holds every one of `populations` (the ledger's own test, so that
 * skipping the ledger write here appends exactly what `record` would have: nothing). The ledger
 * only grows, so what a loaded state holds, a later one holds too.
 */
export function holdsAll(
  ledger: ReleaseLedgerState,
  populations: readonly ReleasedPopulation[],
): boolean {
  return newPopulations(ledger, populations).length === 0;
}
