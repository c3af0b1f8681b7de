import { randomBytes, randomUUID } from 'node:crypto';

/** A canonical event as the ingest edge publishes it (pseudonyms only), for writer tests. */
export function canonicalVisit(personId: string | null, linkKey: string | null, run?: string) {
  return {
    eventId: randomUUID(),
    type: 'VisitRecorded',
    schemaVersion: 1,
    data: {
      source: 'liferooms',
      recordId: randomBytes(6).toString('hex'),
      recordType: 'visit',
      occurredAt: '2024-01-01T00:00:00.000Z',
      personId,
      linkKey,
      keyId: 'test',
      site: 'walton',
      purpose: 'cafe',
    },
    metadata: { ...(run ? { ingestRunId: run } : {}), receivedAt: '2024-01-02T00:00:00.000Z' },
  };
}
