import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { ConfigurationError } from '@linkage/common';
import { openDatabase, type Database } from '@linkage/database';
import { PostgresqlEventStore } from '@linkage/event-store';
import { deriveKeyId, Pseudonymiser, type PseudonymisationKey } from '@linkage/pseudonymisation';
import { ensureIngestSchema } from '@linkage/ingest-store';
import { createFreshDatabase } from '@linkage/testing';
import { findIdentifiers, identifierNeedles, mixedExtract } from '../testing/ingest-fixtures';
import { checkPseudonymisationKey, registeredKeys } from './key-registry';
import { rotatePseudonymisationKey } from './rotate-key';

const keyOf = (keyId?: string): PseudonymisationKey => {
  const key = randomBytes(32);
  return { key, keyId: keyId ?? deriveKeyId(key) };
};

/** Why a promise was refused: the ConfigurationError's reason, or 'accepted'. */
async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'accepted';
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    return (error as ConfigurationError).detail.reason;
  }
}

/**
 * The pseudonymisation key's lifecycle against real PostgreSQL: a fingerprint registered with
 * the data on first start and checked on every later one, and a rotation that links old and
 * new pseudonyms by events without re-identifying anyone.
 */
describe('pseudonymisation key lifecycle', () => {
  let fresh: { url: string; drop: () => Promise<void> };
  let db: Database;
  let store: PostgresqlEventStore;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'linkage-key-'));
  const extract = mixedExtract(6, { seed: 7, bad: false });

  beforeAll(async () => {
    fresh = await createFreshDatabase('linkage_keys');
    db = await openDatabase({ url: fresh.url, max: 4 });
    store = new PostgresqlEventStore(db.sql);
    await store.init();
    fs.writeFileSync(path.join(dir, 'cipha.ndjson'), extract.lines.join('\n') + '\n');
    fs.writeFileSync(path.join(dir, 'liferooms.ndjson'), extract.liferoomsLines.join('\n') + '\n');
  });
  afterAll(async () => {
    await store.close();
    await db.close();
    await fresh.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const original = keyOf('k-original');

  it('registers the first key it starts with, then accepts it again and refuses any other', async () => {
    await checkPseudonymisationKey(db.sql, original);
    await checkPseudonymisationKey(db.sql, original);
    const [registered] = await registeredKeys(db.sql);
    expect(registered).toMatchObject({ keyId: 'k-original', status: 'active' });
    expect(registered.fingerprint).toMatch(/^[0-9a-f]{32}$/);
    expect(registered.fingerprint).not.toContain(original.key.toString('hex').slice(0, 16));

    // A different key: every person would be split in two.
    expect(await refusal(checkPseudonymisationKey(db.sql, keyOf()))).toBe(
      'pseudonymisation_key_changed',
    );
    // A different key under the registered id: PSEUDONYMISATION_KEY_ID cannot make it the same.
    expect(await refusal(checkPseudonymisationKey(db.sql, keyOf('k-original')))).toBe(
      'pseudonymisation_key_id_reused',
    );
    // The right key under another id: no relabelling either.
    expect(
      await refusal(checkPseudonymisationKey(db.sql, { key: original.key, keyId: 'other' })),
    ).toBe('pseudonymisation_key_relabelled');
    expect(await registeredKeys(db.sql)).toHaveLength(1);
  });

  it('says why it refuses, naming the registered key id and how to change keys', async () => {
    const error = await checkPseudonymisationKey(db.sql, keyOf('k-new')).catch((e: Error) => e);
    expect((error as Error).message).toMatch(
      /not the key the stored data was pseudonymised with \(id 'k-original'\).*split in two.*linkage key rotate/,
    );
  });

  it('rotates: old and new pseudonyms linked by events, old key retired, nothing re-identified', async () => {
    const next = keyOf('k-rotated');
    const files = [path.join(dir, 'cipha.ndjson'), path.join(dir, 'liferooms.ndjson')];
    // The event writer had linked one walk-in's link key to a person (under the old key).
    const walkIn = extract.liferoomsLines
      .map((line) => JSON.parse(line) as Record<string, string>)
      .find((r) => r.given_name && r.family_name && r.date_of_birth && r.postcode)!;
    const parts = {
      givenName: walkIn.given_name,
      familyName: walkIn.family_name,
      dateOfBirth: walkIn.date_of_birth,
      postcode: walkIn.postcode,
    };
    const linkedTo = extract.identifiers.nhsNumbers[1];
    await ensureIngestSchema(db.sql);
    await db.sql`insert into ingest.link_keys (link_key, person_id)
      values (${new Pseudonymiser(original).linkKey(parts)!},
              ${new Pseudonymiser(original).personId(linkedTo)})`;
    const summary = await rotatePseudonymisationKey({
      sql: db.sql,
      store,
      previous: original,
      next,
      files,
    });
    expect(summary).toMatchObject({ fromKeyId: 'k-original', toKeyId: 'k-rotated', persons: 6 });
    expect(summary.linkKeys).toBe(6);
    expect(summary.linkKeysCarried).toBe(1);
    expect(summary.appended).toBe(12);

    const oldPs = new Pseudonymiser(original);
    const newPs = new Pseudonymiser(next);
    const nhs = extract.identifiers.nhsNumbers[0];
    const [linked] = await store.readStream(`person-${newPs.personId(nhs)}`);
    expect(linked).toMatchObject({
      type: 'PseudonymRotated',
      data: {
        kind: 'person',
        personId: newPs.personId(nhs),
        previousPersonId: oldPs.personId(nhs),
        keyId: 'k-rotated',
        previousKeyId: 'k-original',
      },
    });
    // The writer finds the walk-in under the new key, linked to the person's new pseudonym.
    const carried = await db.sql`select person_id from ingest.link_keys
      where link_key = ${newPs.linkKey(parts)!}`;
    expect(carried).toEqual([{ person_id: newPs.personId(linkedTo) }]);
    const stored = JSON.stringify(await store.readAll({ maxCount: 1000 }));
    expect(findIdentifiers(stored, identifierNeedles(extract.identifiers))).toEqual([]);

    expect((await registeredKeys(db.sql)).map((k) => [k.keyId, k.status])).toEqual([
      ['k-original', 'retired'],
      ['k-rotated', 'active'],
    ]);
    await checkPseudonymisationKey(db.sql, next);
    expect(await refusal(checkPseudonymisationKey(db.sql, original))).toBe(
      'pseudonymisation_key_retired',
    );
    // Rotating again to the same key, or from the retired one, is refused.
    expect(
      await refusal(rotatePseudonymisationKey({ sql: db.sql, store, previous: next, next, files })),
    ).toBe('new_key_already_registered');
    expect(
      await refusal(
        rotatePseudonymisationKey({ sql: db.sql, store, previous: original, next: keyOf(), files }),
      ),
    ).toBe('pseudonymisation_key_retired');
  });
});
