import { deterministicUuid, eventIdFor } from './common';

// Event ids are stored: a change in how they are computed would re-id every event (and break
// idempotent re-ingest). These values were computed before the hash call was changed.
describe('event ids', () => {
  it('are the pinned name-based UUIDs', () => {
    expect(eventIdFor('cipha', 'cp-00000001')).toBe('15e0ae40-dfa1-555a-aeae-43da46b3b726');
    expect(eventIdFor('liferooms', 'lr-00012345')).toBe('b7ac02e0-c646-53fc-8da3-b330bbcdc7c9');
    expect(deterministicUuid('x')).toBe('fea017f4-e423-57c9-b88d-4d672799f997');
  });

  it('differ by source and by record, and carry the version-5 and RFC 4122 variant bits', () => {
    const ids = [
      eventIdFor('cipha', 'cp-00000001'),
      eventIdFor('liferooms', 'cp-00000001'),
      eventIdFor('cipha', 'cp-00000002'),
    ];
    expect(new Set(ids).size).toBe(3);
    for (const id of ids)
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
