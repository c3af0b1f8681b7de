import { publishedValue, type EventStudyPoint, type Statistic } from '@linkage/domain';
import { population, type CsvRow, type Publication } from './analytics.publications';

export interface EventStudyData {
  measure: string;
  unit: string;
  months: readonly [number, number];
  washoutMonths: number;
  series: EventStudyPoint[];
  matchedUsers: number;
  userIds: string[];
  controlIds: string[];
}

/**
 * The event study through the publishing gate: each month's rate for users and for matched
 * controls is a rate cell (events over person-years), so small months are withheld like any
 * other rate; the gate decides, this formats.
 */
export function eventStudyPublication(d: EventStudyData): Publication {
  const isCost = d.measure === 'cost';
  const cells: Record<string, Statistic> = {
    matchedUsers: { kind: 'count', value: d.matchedUsers, population: 'users' },
  };
  const rate = (events: number, years: number, pop: string): Statistic => ({
    kind: 'rate',
    numerator: isCost ? events : Math.round(events),
    numeratorKind: isCost ? 'amount' : 'count',
    denominator: years,
    denominatorKind: 'person-time',
    groupSize: d.matchedUsers,
    population: pop,
  });
  for (const p of d.series) {
    cells[`users/${p.month}`] = rate(p.userEvents, p.userPersonYears, 'users');
    cells[`controls/${p.month}`] = rate(p.controlEvents, p.controlPersonYears, 'controls');
  }
  return {
    request: {
      cells,
      populations: {
        users: population('matched-users', d.userIds),
        controls: population('matched-controls', d.controlIds),
      },
    },
    format(r) {
      const v = (cell: string) => (cell in r.cells ? publishedValue(r, cell) : null);
      const series = d.series.map((p) => ({
        month: p.month,
        users: v(`users/${p.month}`),
        controls: v(`controls/${p.month}`),
      }));
      const rows: CsvRow[] = series.map((p) => ({ ...p }));
      return {
        body: {
          measure: d.measure,
          unit: d.unit,
          months: d.months,
          washoutMonths: d.washoutMonths,
          matchedUsers: v('matchedUsers'),
          series,
        },
        rows,
      };
    },
  };
}
