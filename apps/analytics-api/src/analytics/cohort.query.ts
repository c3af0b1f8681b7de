import { Inject } from '@nestjs/common';
import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import type { Sql } from '@linkage/database';
import { cohortPublication, type CohortData, type Publication } from './analytics.publications';
import type { AnalyticsQueries, Audience, QueryResult } from './analytics.queries';
import { ANALYTICS_QUERIES } from './analytics-query-support';

/** Cohort size, index dates by month and Life Rooms engagement (`GET /v1/cohort`). */
export class CohortQuery extends Query<QueryResult<Record<string, unknown>>> {
  constructor(readonly audience?: Audience) {
    super();
  }
}

@QueryHandler(CohortQuery)
export class CohortQueryHandler implements IQueryHandler<CohortQuery> {
  constructor(@Inject(ANALYTICS_QUERIES) private readonly queries: AnalyticsQueries) {}

  execute(query: CohortQuery): Promise<QueryResult<Record<string, unknown>>> {
    const { sql, schema } = this.queries;
    return this.queries.publishOnce('cohort', query.audience, () => computeCohort(sql, schema));
  }
}

async function computeCohort(sql: Sql, schema: string): Promise<Publication> {
  const s = sql(schema);
  const users = await sql<
    {
      person_id: string;
      index_month: string;
      visits_by_site: Record<string, number>;
      course_enrolments: number;
      sessions_attended: number;
      pathways_contacts: number;
      prescriptions_by_need: Record<string, number>;
      outcomes_by_need: Record<string, Record<string, number>>;
    }[]
  >`
    select l.person_id, to_char(l.index_date, 'YYYY-MM') as index_month, l.visits_by_site, l.course_enrolments,
           l.sessions_attended, l.pathways_contacts, l.prescriptions_by_need, l.outcomes_by_need
    from ${s}.life_rooms l left join ${s}.person_profile p using (person_id)
    where l.person_id is not null and l.index_date is not null and not coalesce(p.opted_out, false)`;
  const sites = new Map<string, { people: string[]; visits: number }>();
  const needs = new Map<string, { people: string[]; prescriptions: number }>();
  const outcomes = new Map<string, { people: Set<string>; prescriptions: number }>();
  const months = new Map<string, string[]>();
  const engaged = {
    enrolled: [] as string[],
    sessions: [] as string[],
    pathways: [] as string[],
  };
  let enrolments = 0;
  let sessions = 0;
  let pathways = 0;
  for (const u of users) {
    const month = months.get(u.index_month) ?? [];
    month.push(u.person_id);
    months.set(u.index_month, month);
    for (const [site, n] of Object.entries(u.visits_by_site)) {
      const row = sites.get(site) ?? { people: [], visits: 0 };
      row.people.push(u.person_id);
      row.visits += n;
      sites.set(site, row);
    }
    for (const [need, n] of Object.entries(u.prescriptions_by_need)) {
      const row = needs.get(need) ?? { people: [], prescriptions: 0 };
      row.people.push(u.person_id);
      row.prescriptions += n;
      needs.set(need, row);
    }
    for (const byOutcome of Object.values(u.outcomes_by_need)) {
      for (const [outcome, n] of Object.entries(byOutcome)) {
        const row = outcomes.get(outcome) ?? { people: new Set<string>(), prescriptions: 0 };
        row.people.add(u.person_id);
        row.prescriptions += n;
        outcomes.set(outcome, row);
      }
    }
    if (u.course_enrolments > 0) engaged.enrolled.push(u.person_id);
    if (u.sessions_attended > 0) engaged.sessions.push(u.person_id);
    if (u.pathways_contacts > 0) engaged.pathways.push(u.person_id);
    enrolments += u.course_enrolments;
    sessions += u.sessions_attended;
    pathways += u.pathways_contacts;
  }
  const data: CohortData = {
    users: users.length,
    indexMonths: [...months.keys()].sort().map((month) => ({
      month,
      people: months.get(month)!.length,
      personIds: months.get(month)!,
    })),
    sites: [...sites.keys()].sort().map((site) => ({
      site,
      people: sites.get(site)!.people.length,
      visits: sites.get(site)!.visits,
      personIds: sites.get(site)!.people,
    })),
    needs: [...needs.keys()].sort().map((need) => ({
      need,
      people: needs.get(need)!.people.length,
      prescriptions: needs.get(need)!.prescriptions,
      personIds: needs.get(need)!.people,
    })),
    prescriptionOutcomes: [...outcomes.keys()].sort().map((outcome) => ({
      outcome,
      prescriptions: outcomes.get(outcome)!.prescriptions,
      personIds: [...outcomes.get(outcome)!.people],
    })),
    courseEnrolments: enrolments,
    sessionsAttended: sessions,
    pathwaysContacts: pathways,
    personIds: users.map((u) => u.person_id),
    engagedIds: {
      course_enrolments: engaged.enrolled,
      sessions_attended: engaged.sessions,
      pathways_contacts: engaged.pathways,
    },
  };
  return cohortPublication(data);
}
