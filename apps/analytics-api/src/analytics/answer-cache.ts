import type { Sql } from '@linkage/database';
import { DEFAULT_DISCLOSURE_POLICY, type DisclosurePolicy } from '@linkage/domain';
import { AnalyticsQueries, type QueryResult } from './analytics.queries';

/** Answers kept (least recently used dropped first): routes x parameters x one data version. */
export const ANSWER_CACHE_SIZE = 256;

type Answer = QueryResult<Record<string, unknown>>;

/**
 * AnalyticsQueries whose answers are remembered per version of the read models. An answer is a
 * pure function of the read models (checkpoint), the matching run (settings, seed, position),
 * the unit costs and the disclosure policy (fixed per instance), so the same question at the
 * same version gets the same numbers: computed once, and concurrent askers of one question share
 * one computation (50 analysts opening the same page cost one bootstrap, not 50). Any projected
 * event (an opt-out too), a new matching run or new unit costs change the version, and the next
 * question is computed afresh. Every call is still guarded and audited by the controller.
 *
 * Only sound while an answer does not depend on who asks: once the publishing gate consults a
 * per-DSA released-cell ledger, cache the computation before the gate (or key by DSA and
 * ledger version), never the gated answer.
 */
export class CachedAnalyticsQueries extends AnalyticsQueries {
  private readonly answers = new Map<string, Promise<Answer>>();

  constructor(
    private readonly db: Sql,
    policy: DisclosurePolicy = DEFAULT_DISCLOSURE_POLICY,
    private readonly readModel = 'read_model',
  ) {
    super(db, policy, readModel);
  }

  override cohort(...args: Parameters<AnalyticsQueries['cohort']>): Promise<Answer> {
    return this.remember('cohort', args, () => super.cohort(...args));
  }

  override outcomes(...args: Parameters<AnalyticsQueries['outcomes']>): Promise<Answer> {
    return this.remember('outcomes', args, () => super.outcomes(...args));
  }

  override breakdown(...args: Parameters<AnalyticsQueries['breakdown']>): Promise<Answer> {
    return this.remember('breakdown', args, () => super.breakdown(...args));
  }

  override wellbeing(...args: Parameters<AnalyticsQueries['wellbeing']>): Promise<Answer> {
    return this.remember('wellbeing', args, () => super.wellbeing(...args));
  }

  override balance(...args: Parameters<AnalyticsQueries['balance']>): Promise<Answer> {
    return this.remember('balance', args, () => super.balance(...args));
  }

  /** The read models' version: checkpoint, matching run and unit-cost version, in one read. */
  async dataVersion(): Promise<string> {
    const s = this.db(this.readModel);
    const [row] = await this.db<{ version: string }[]>`
      select concat_ws('|',
        (select position from ${s}.checkpoint where projection = 'read-models'),
        (select md5(m::text) from ${s}.matching_run m where id = 1),
        (select value from ${s}.meta where key = 'unit_cost_version')) as version`;
    return row?.version ?? '';
  }

  private async remember(
    method: string,
    args: unknown[],
    compute: () => Promise<Answer>,
  ): Promise<Answer> {
    const key = `${await this.dataVersion()}#${method}#${JSON.stringify(args)}`;
    let answer = this.answers.get(key);
    if (answer) {
      // Most recently used last, so the oldest key is the first to go.
      this.answers.delete(key);
    } else {
      answer = compute();
      // A failed computation is not remembered: the next caller tries again.
      answer.catch(() => {
        if (this.answers.get(key) === answer) this.answers.delete(key);
      });
      while (this.answers.size >= ANSWER_CACHE_SIZE) {
        this.answers.delete(this.answers.keys().next().value as string);
      }
    }
    this.answers.set(key, answer);
    return answer;
  }
}
