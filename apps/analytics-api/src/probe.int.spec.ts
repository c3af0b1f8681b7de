import { ingestedPopulation } from './testing/pipeline-fixture';
it('probe', async () => {
  const f = await ingestedPopulation({ cohort: Number(process.env.PROBE_COHORT ?? 200), seed: 'probe-1' });
  console.log('URL', f.url);
  require('fs').writeFileSync('/tmp/probe-manifest.json', JSON.stringify(f.manifest));
  await f.store.close();
  await f.db.close();
}, 300000);
