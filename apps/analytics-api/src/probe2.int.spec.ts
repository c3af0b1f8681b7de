import { openDatabase } from '@linkage/database';
import { DEFAULT_MATCHING_SETTINGS } from '@linkage/domain';
import { ensureReadModel, runMatching } from '../../projector/src';
import { AnalyticsQueries } from './analytics/analytics.queries';
it('probe2', async () => {
  const db = await openDatabase({ url: process.env.PROBE_URL! });
  await ensureReadModel(db.sql);
  const m = await runMatching(db.sql, 'read_model', {
    ...DEFAULT_MATCHING_SETTINGS,
    ...JSON.parse(process.env.PROBE_SETTINGS ?? '{}'),
  });
  console.log(JSON.stringify({ ...m, balance: m.balance.after }));
  const q = new AnalyticsQueries(db.sql);
  for (const k of ['crisis', 'ae', 'gp', 'cost'] as const)
    console.log(k, JSON.stringify({ ...(await q.outcomes(k)).body, provenance: undefined }));
  await db.close();
}, 300000);
