import { openDatabase, type Database } from '@linkage/database';
import { createFreshDatabase } from '@linkage/testing';
import { ensureReadModel, READ_MODEL } from '../read-model/read-model.schema';
import { loadEvaluationSubjects } from './evaluation-subjects';

// The seeded matching takes its subjects in the order they come: that order must not depend on
// how the rows happen to lie in the table (which follows the event writer's batching).
describe('evaluation subjects', () => {
  let fresh: { url: string; drop(): Promise<void> };
  let db: Database;

  beforeAll(async () => {
    fresh = await createFreshDatabase();
    db = await openDatabase({ url: fresh.url });
    await ensureReadModel(db.sql, READ_MODEL);
  });
  afterAll(async () => {
    await db?.close();
    await fresh?.drop();
  });

  it('come in person order whatever order the profiles were written in', async () => {
    const ids = Array.from({ length: 40 }, (_, i) => `p${String(i).padStart(3, '0')}`);
    // Written in a scrambled order, then some rewritten (an upsert moves a row to the end).
    const scrambled = ids.map((_, i) => ids[(i * 17) % ids.length]);
    const profile = (id: string) => ({
      personId: id,
      registrations: [],
    });
    for (const id of [...scrambled, ...scrambled.slice(0, 10)]) {
      await db.sql`
        insert into read_model.person_profile (person_id, year_of_birth, sex, imd_decile, doc)
        values (${id}, 1970, 'F', 5, ${db.sql.json(profile(id))})
        on conflict (person_id) do update set doc = excluded.doc`;
    }
    const physical = await db.sql<{ person_id: string }[]>`
      select person_id from read_model.person_profile`;
    // The table itself is not in person order, so the test could fail.
    expect(physical.map((r) => r.person_id)).not.toEqual(ids);

    const { subjects } = await loadEvaluationSubjects(db.sql, READ_MODEL);
    expect(subjects.map((s) => s.personId)).toEqual(ids);
  });
});
