import { AnalyticsQueries } from './analytics/analytics.queries';
import { ingestedPopulation } from './testing/pipeline-fixture';
it('probe', async () => {
  let t = Date.now();
  const f = await ingestedPopulation({ cohort: 1500, seed: 'probe-1' });
  console.log('pipeline ms', Date.now() - t, JSON.stringify(f.manifest.effects));
  t = Date.now();
  const q = new AnalyticsQueries(f.db.sql);
  for (const m of ['crisis', 'ae'] as const) console.log(m, JSON.stringify((await q.outcomes(m)).body));
  console.log(JSON.stringify((await q.balance()).body));
  console.log('query ms', Date.now() - t);
  await f.close();
}, 300000);
