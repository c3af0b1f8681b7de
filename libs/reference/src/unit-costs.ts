import { readReferenceCsv } from './data-files';

/** One row of `nhs_unit_costs.csv`, with a stable id (`<line>:<activity>`). */
export interface UnitCostRow {
  rowId: string;
  /** Line in the CSV (the header is line 1). */
  line: number;
  activity: string;
  unit: string;
  costGbp: number;
  /** Price year as published (`2022/23`, or a free description for old figures). */
  year: string;
  source: string;
  recordTypeHint: string;
  notes: string;
}

/** What one unit of activity costs, and which published row says so. */
export interface CostEntry {
  costGbp: number;
  /** `<activity> | <source>` of the row used. */
  sourceRow: string;
  rowId: string;
  unit: string;
  /** The row's price year; differs from the table's when no row of that year fits (see note). */
  year: string;
  note?: string;
}

interface Matcher {
  hint: RegExp;
  activity?: RegExp;
}

interface CostRule {
  matchers: Matcher[];
  /** Always said about this cost (a proxy, a pooled figure). */
  note?: string;
}

const GENERIC_MH: Matcher = { hint: /^mental_health_contact \(generic/ };
const GP_SURGERY: Matcher = {
  hint: /^gp_appointment mode=face_to_face/,
  activity: /incl\. qualification/,
};

// Matchers in order of preference. A row of the table's price year wins over a better match of
// another year (costs of different years must not be mixed); only when no matcher has a row of
// that year is the nearest year taken, most specific matcher first.
const RULES = {
  'gp_appointment:face_to_face': {
    matchers: [GP_SURGERY, { hint: /^gp_appointment mode=face_to_face/ }],
  },
  'gp_appointment:telephone': {
    matchers: [{ hint: /^gp_appointment mode=telephone/ }],
    note: 'proxy: GP-led telephone triage contact (4 min), not a full telephone consultation',
  },
  'gp_appointment:home_visit': {
    matchers: [GP_SURGERY],
    note: 'no home-visit cost is published; surgery consultation used (an underestimate)',
  },
  'gp_appointment:online': { matchers: [{ hint: /^gp_appointment mode=online/ }] },
  'ae_attendance:1': {
    matchers: [{ hint: /^ae_attendance \(types 1-4 pooled\)/ }],
    note: 'all A&E department types pooled; no type 1 figure is published',
  },
  'ae_attendance:2': {
    matchers: [{ hint: /^ae_attendance \(types 1-4 pooled\)/ }],
    note: 'all A&E department types pooled; no type 2 figure is published',
  },
  'ae_attendance:3': {
    matchers: [
      { hint: /^ae_attendance department_type=3/, activity: /^Minor injury/ },
      { hint: /^ae_attendance department_type=3/ },
    ],
  },
  'ae_attendance:4': { matchers: [{ hint: /^ae_attendance department_type=4/ }] },
  'inpatient_admission:elective': { matchers: [{ hint: /^inpatient_admission method=elective/ }] },
  'inpatient_admission:emergency': {
    matchers: [
      { hint: /^inpatient_admission method=emergency/, activity: /combined/ },
      { hint: /^inpatient_admission method=emergency/, activity: /long stay/ },
    ],
  },
  'inpatient_admission:emergency_short_stay': {
    matchers: [{ hint: /^inpatient_admission method=emergency/, activity: /short stay/ }],
  },
  'inpatient_admission:day_case': { matchers: [{ hint: /^inpatient_admission \(day case\)/ }] },
  outpatient_attendance: {
    matchers: [
      { hint: /^outpatient_attendance/, activity: /weighted average|consultant led/ },
      { hint: /^outpatient_attendance/ },
    ],
  },
  'mental_health_contact:cmht': { matchers: [{ hint: /team=cmht$/ }, GENERIC_MH] },
  'mental_health_contact:eit': { matchers: [{ hint: /team=eit$/ }, GENERIC_MH] },
  'mental_health_contact:crht': { matchers: [{ hint: /team=crht$/ }, GENERIC_MH] },
  'mental_health_contact:iapt': {
    matchers: [
      { hint: /team=iapt$/, activity: /^IAPT|all contact types|^NHS Talking Therapies \(IAPT\)/ },
      { hint: /team=iapt$/ },
    ],
  },
  'mental_health_contact:inpatient': {
    matchers: [{ hint: /team=inpatient$/, activity: /per bed day|care clusters|acute adult/ }],
  },
  'mental_health_contact:liaison': { matchers: [{ hint: /team=liaison$/ }] },
  nhs111_call: {
    matchers: [{ hint: /^nhs111_call/ }],
    note: 'only figure found: Nazar et al. 2016 (price base not stated)',
  },
  'ambulance_incident:conveyed': { matchers: [{ hint: /outcome=conveyed/ }] },
  'ambulance_incident:see_and_treat': { matchers: [{ hint: /outcome=see_and_treat/ }] },
  'ambulance_incident:hear_and_treat': { matchers: [{ hint: /outcome=hear_and_treat/ }] },
} satisfies Record<string, CostRule>;

/** Every activity the cost table prices: `<record_type>` or `<record_type>:<variant>`. */
export type CostKey = keyof typeof RULES;
export const COST_KEYS = Object.keys(RULES) as CostKey[];

/** Unit costs of one price year, one per activity type. */
export interface CostTable {
  /** `nhs-unit-costs-<priceYear>-v1`: record it with any result computed from the table. */
  version: string;
  priceYear: string;
  entries: Readonly<Record<CostKey, CostEntry | undefined>>;
  /**
   * Cost of one record of a type: `costOf('gp_appointment', 'telephone')`,
   * `costOf('ae_attendance', 3)`, `costOf('outpatient_attendance')`. `undefined` when the table
   * has no figure (e.g. maternity or other admissions, GP or MH variants it does not know).
   */
  costOf(recordType: string, variant?: string | number): CostEntry | undefined;
}

let rows: UnitCostRow[] | undefined;

/** Every row of `nhs_unit_costs.csv` (PSSRU 2022-2024 manuals, NCC 2024/25, a few older figures). */
export function loadUnitCosts(): readonly UnitCostRow[] {
  rows ??= readReferenceCsv('nhs_unit_costs.csv').map((r, i) => ({
    rowId: `${i + 2}:${r.activity}`,
    line: i + 2,
    activity: r.activity,
    unit: r.unit,
    costGbp: Number(r.cost_gbp),
    year: r.year,
    source: r.source,
    recordTypeHint: r.record_type_hint,
    notes: r.notes,
  }));
  return rows;
}

/** The first year of a price year (`2022/23` -> 2022; an old study period -> its first year). */
function startYear(year: string): number | undefined {
  const m = /(\d{4})/.exec(year);
  return m ? Number(m[1]) : undefined;
}

function matches(row: UnitCostRow, m: Matcher): boolean {
  return m.hint.test(row.recordTypeHint) && (!m.activity || m.activity.test(row.activity));
}

function choose(
  all: readonly UnitCostRow[],
  rule: CostRule,
  priceYear: string,
): CostEntry | undefined {
  let chosen: UnitCostRow | undefined;
  for (const m of rule.matchers) {
    chosen = all.find((r) => r.year === priceYear && matches(r, m));
    if (chosen) break;
  }
  const target = startYear(priceYear) ?? 0;
  if (!chosen) {
    for (const m of rule.matchers) {
      const candidates = all.filter((r) => matches(r, m) && startYear(r.year) !== undefined);
      // Nearest year; on a tie the later (more recent prices).
      candidates.sort(
        (a, b) =>
          Math.abs(startYear(a.year)! - target) - Math.abs(startYear(b.year)! - target) ||
          startYear(b.year)! - startYear(a.year)!,
      );
      chosen = candidates[0];
      if (chosen) break;
    }
  }
  if (!chosen) return undefined;
  const notes = [
    chosen.year !== priceYear
      ? `no ${priceYear} figure: price year ${chosen.year} used`
      : undefined,
    rule.note,
  ].filter(Boolean);
  return {
    costGbp: chosen.costGbp,
    sourceRow: `${chosen.activity} | ${chosen.source}`,
    rowId: chosen.rowId,
    unit: chosen.unit,
    year: chosen.year,
    ...(notes.length > 0 ? { note: notes.join('; ') } : {}),
  };
}

const tables = new Map<string, CostTable>();

/**
 * The unit-cost table of one price year (default `2022/23`, the PSSRU 2023 manual): for every
 * activity type the best matching row of that year, else the nearest year (said in `note`).
 */
export function costTable(priceYear = '2022/23'): CostTable {
  const existing = tables.get(priceYear);
  if (existing) return existing;
  const all = loadUnitCosts();
  const entries = Object.fromEntries(
    COST_KEYS.map((key) => [key, choose(all, RULES[key], priceYear)]),
  ) as Record<CostKey, CostEntry | undefined>;
  const table: CostTable = {
    version: `nhs-unit-costs-${priceYear}-v1`,
    priceYear,
    entries,
    costOf(recordType, variant) {
      const key = variant === undefined ? recordType : `${recordType}:${variant}`;
      return Object.prototype.hasOwnProperty.call(entries, key)
        ? entries[key as CostKey]
        : undefined;
    },
  };
  tables.set(priceYear, table);
  return table;
}
