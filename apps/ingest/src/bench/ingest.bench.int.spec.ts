import { createFreshDatabase } from '@linkage/testing';
import { benchIngest } from './ingest.bench';

describe('benchIngest', () => {
  it('ingests a generated file and reports throughput and memory', async () => {
    const fresh = await createFreshDatabase();
    const url = process.env.DATABASE_URL;
    process.env.DATABASE_URL = fresh.url;
    try {
      const result = await benchIngest({ sizeBytes: 2_000_000 });
      expect(result.records).toBeGreaterThan(10_000);
      expect(result.recordsPerSecond).toBeGreaterThan(0);
      expect(result.rssMaxMb).toBeGreaterThanOrEqual(result.rssStartMb);
    } finally {
      process.env.DATABASE_URL = url;
      await fresh.drop();
    }
  });
});
