import {
  ingestedPopulation,
  type PipelineFixture,
} from '../../../analytics-api/src/testing/pipeline-fixture';
import { rebuildReadModels } from './rebuild';

const TABLES = [
  'person_profile',
  'life_rooms',
  'record_link',
  'activity',
  'service_use_monthly',
  'matched_pair',
];

describe('rebuild on a generated population', () => {
  let fixture: PipelineFixture;

  beforeAll(async () => {
    fixture = await ingestedPopulation({ cohort: 200, seed: 'rebuild' });
  }, 120_000);
  afterAll(async () => {
    await fixture?.close();
  });

  it('produces read models identical to the live projection, matching included', async () => {
    const snapshot = () =>
      Promise.all(
        TABLES.map((t) =>
          fixture.db.sql.unsafe(`select * from read_model.${t} x order by x::text`),
        ),
      );
    const live = await snapshot();
    expect(live[1].length).toBeGreaterThan(0);
    const result = await rebuildReadModels({
      sql: fixture.db.sql,
      store: fixture.store,
      batchSize: 1000,
    });
    expect(result.applied).toBeGreaterThan(0);
    expect(await snapshot()).toEqual(live);
  });
});
