import { ingestedPopulation } from './testing/pipeline-fixture';
it('probe', async () => {
  const f = await ingestedPopulation({
    cohort: 1500,
    persons: 12000,
    years: 3,
    seed: 'recovery-a',
  });
  console.log('URL', f.url);
  require('fs').writeFileSync('/tmp/probe-manifest2.json', JSON.stringify(f.manifest));
  await f.store.close();
  await f.db.close();
}, 300000);
