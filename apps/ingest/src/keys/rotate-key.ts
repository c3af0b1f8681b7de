import { ConfigurationError } from '@linkage/common';
import { deterministicUuid, SCHEMA_VERSION, type PseudonymRotatedEvent } from '@linkage/contracts';
import type { Sql } from '@linkage/database';
import type { EventStore, StreamBatch } from '@linkage/event-store';
import { ensureIngestSchema } from '@linkage/ingest-store';
import {
  isValidNhsNumber,
  keyFingerprint,
  Pseudonymiser,
  type PseudonymisationKey,
} from '@linkage/pseudonymisation';
import * as fs from 'node:fs';
import { checkInputFiles } from '../pipeline/input-files';
import { recordsOf, type InputFormat } from '../pipeline/record-readers';
import { checkPseudonymisationKey, recordKeyRotation, registeredKeys } from './key-registry';

export interface KeyRotationOptions {
  sql: Sql;
  store: EventStore;
  /** The active key (the one the stored data was made with). */
  previous: PseudonymisationKey;
  /** The key to rotate to. */
  next: PseudonymisationKey;
  /** Source extracts to read identifiers from (any source): the edge's input, read again. */
  files: string[];
  format?: InputFormat;
  now?: Date;
}

export interface KeyRotationSummary {
  fromKeyId: string;
  toKeyId: string;
  records: number;
  /** Distinct people (NHS numbers) whose old and new pseudonyms are now linked. */
  persons: number;
  /** Distinct walk-in link keys linked. */
  linkKeys: number;
  /** Link keys the event writer had linked to a person, now known to it under the new key too. */
  linkKeysCarried: number;
  appended: number;
  duplicates: number;
}

const APPEND_CHUNK = 1000;

/**
 * Rotates the pseudonymisation key at the edge: reads the source extracts once more, makes the
 * old and the new pseudonym of every NHS number (and link key) found, appends one
 * `PseudonymRotated` event per person linking the two, then retires the old key and registers
 * the new one as active. Identifiers live only in this function's loop, as at ingest; nothing
 * is re-identified (no pseudonym is turned back into an identifier) and no stored event is
 * rewritten. Idempotent by event id, so an interrupted rotation can be run again before the
 * registry changes.
 */
export async function rotatePseudonymisationKey(
  options: KeyRotationOptions,
): Promise<KeyRotationSummary> {
  const { previous, next } = options;
  await checkPseudonymisationKey(options.sql, previous);
  const known = await registeredKeys(options.sql);
  if (known.some((k) => k.fingerprint === keyFingerprint(next.key))) {
    throw new ConfigurationError(
      'the new pseudonymisation key is already registered: rotate to a key never used before',
      'new_key_already_registered',
    );
  }
  if (known.some((k) => k.keyId === next.keyId)) {
    throw new ConfigurationError(
      `key id '${next.keyId}' is already registered: give the new key its own id`,
      'new_key_id_taken',
    );
  }
  const oldPs = new Pseudonymiser(previous);
  const newPs = new Pseudonymiser(next);
  const persons = new Map<string, string>();
  const linkKeys = new Map<string, string>();
  let records = 0;
  for (const { file, format } of checkInputFiles(options.files, options.format)) {
    const stream = fs.createReadStream(file, { highWaterMark: 1 << 16 });
    try {
      for await (const raw of recordsOf(stream, format)) {
        records += 1;
        const r = parsed(raw.input);
        if (!r) continue;
        if (typeof r.nhs_number === 'string' && isValidNhsNumber(r.nhs_number)) {
          persons.set(oldPs.personId(r.nhs_number), newPs.personId(r.nhs_number));
        }
        const { given_name, family_name, date_of_birth, postcode } = r;
        if (
          [given_name, family_name, date_of_birth, postcode].every((v) => typeof v === 'string')
        ) {
          const parts = {
            givenName: given_name as string,
            familyName: family_name as string,
            dateOfBirth: date_of_birth as string,
            postcode: postcode as string,
          };
          const before = oldPs.linkKey(parts);
          const after = newPs.linkKey(parts);
          if (before && after) linkKeys.set(before, after);
        }
      }
    } finally {
      stream.destroy();
    }
  }

  const receivedAt = (options.now ?? new Date()).toISOString();
  const event = (data: PseudonymRotatedEvent['data'], name: string): PseudonymRotatedEvent => ({
    eventId: deterministicUuid(
      `PseudonymRotated\u001f${previous.keyId}\u001f${next.keyId}\u001f${name}`,
    ),
    type: 'PseudonymRotated',
    schemaVersion: SCHEMA_VERSION,
    data,
    metadata: { receivedAt },
  });
  const ids = { keyId: next.keyId, previousKeyId: previous.keyId };
  const batches: StreamBatch[] = [
    ...[...persons].map(([before, after]) => ({
      streamId: `person-${after}`,
      events: [
        event({ kind: 'person', personId: after, previousPersonId: before, ...ids }, before),
      ],
    })),
    ...[...linkKeys].map(([before, after]) => ({
      streamId: `unlinked-${after}`,
      events: [
        event(
          { kind: 'link_key', linkKey: after, previousLinkKey: before, ...ids },
          `link:${before}`,
        ),
      ],
    })),
  ];
  let appended = 0;
  let duplicates = 0;
  for (let i = 0; i < batches.length; i += APPEND_CHUNK) {
    const result = await options.store.appendMany(batches.slice(i, i + APPEND_CHUNK));
    appended += result.appended;
    duplicates += result.duplicates;
  }
  const linkKeysCarried = await carryLinkKeys(options.sql, linkKeys, persons);
  await recordKeyRotation(options.sql, previous, next);
  return {
    fromKeyId: previous.keyId,
    toKeyId: next.keyId,
    records,
    persons: persons.size,
    linkKeys: linkKeys.size,
    linkKeysCarried,
    appended,
    duplicates,
  };
}

/**
 * The event writer files a walk-in's later records by its link key (`ingest.link_keys`). Under
 * the new key the same walk-in has a new link key, so each linked one is registered again under
 * it, pointing at the person's new pseudonym (the read models file that under the first one).
 */
async function carryLinkKeys(
  sql: Sql,
  linkKeys: ReadonlyMap<string, string>,
  persons: ReadonlyMap<string, string>,
): Promise<number> {
  if (linkKeys.size === 0) return 0;
  await ensureIngestSchema(sql);
  const rows = await sql<{ link_key: string; person_id: string }[]>`
    select link_key, person_id from ingest.link_keys where link_key = any(${[...linkKeys.keys()]})`;
  if (rows.length === 0) return 0;
  const carried = rows.map((r) => ({
    link_key: linkKeys.get(r.link_key)!,
    person_id: persons.get(r.person_id) ?? r.person_id,
  }));
  const inserted = await sql`
    insert into ingest.link_keys (link_key, person_id)
    select * from unnest(${carried.map((c) => c.link_key)}::text[],
                         ${carried.map((c) => c.person_id)}::text[])
    on conflict (link_key) do nothing
    returning link_key`;
  return inserted.length;
}

function parsed(input: unknown): Record<string, unknown> | undefined {
  if (typeof input !== 'string') return input as Record<string, unknown>;
  try {
    const value: unknown = JSON.parse(input);
    return typeof value === 'object' && value !== null
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined; // the edge rejects it at ingest; it has no pseudonym to rotate
  }
}
