import { randomBytes } from 'node:crypto';
import pino from 'pino';
import postgres from 'postgres';
import { nhsCheckDigit, Pseudonymiser } from '@linkage/pseudonymisation';
import type { Logger } from '@linkage/common';

/** Test support: source files full of identifiers, and scans proving none got past the edge. */

/** `count` distinct valid NHS numbers from the 999 test range (deterministic from `seed`). */
export function testNhsNumbers(count: number, seed = 1): string[] {
  const out: string[] = [];
  for (let n = seed * 100_000; out.length < count; n++) {
    const first = `999${String(n).padStart(6, '0')}`;
    const check = nhsCheckDigit(first);
    if (check !== undefined) out.push(`${first}${check}`);
  }
  return out;
}

export const TEST_POSTCODES = ['L9 2AF', 'L4 0TH', 'PR8 1RJ', 'L20 3NJ', 'CH41 5AD'];
const GIVEN = ['Aurelia', 'Bartholomew', 'Cressida', 'Desmond', 'Evangeline', 'Florian'];
const FAMILY = ['Quennell', 'Ravensworth', 'Stanforth', 'Thistlewood', 'Underhay', 'Vexley'];

export interface TestExtract {
  /** NDJSON lines of the cipha extract (bad records and the resend included). */
  lines: string[];
  /** NDJSON lines of the Life Rooms extract (all valid). */
  liferoomsLines: string[];
  /** Valid, distinct records (what should be stored). */
  valid: number;
  /** Records resent verbatim within the extract. */
  resent: number;
  /** Bad records by the reason each must be rejected with. */
  bad: Record<string, number>;
  /** Every identifier the extract holds, for privacy scans. */
  identifiers: {
    nhsNumbers: string[];
    names: string[];
    datesOfBirth: string[];
    postcodes: string[];
  };
}

/**
 * Two extracts: per person a cipha registration and GP appointment, a Life Rooms visit with
 * NHS number and details (which teaches linkage the link key) and one without an NHS number;
 * some walk-ins known only by details; some bad records of each kind; one resend.
 */
export function mixedExtract(persons: number, options: { seed?: number; bad?: boolean } = {}) {
  const seed = options.seed ?? 1;
  const nhs = testNhsNumbers(persons, seed);
  const cipha: string[] = [];
  const liferooms: string[] = [];
  const ids = {
    nhsNumbers: nhs,
    names: [] as string[],
    datesOfBirth: [] as string[],
    postcodes: [] as string[],
  };
  const at = (i: number) => new Date(Date.UTC(2023, 0, 1) + i * 3_600_000).toISOString();
  nhs.forEach((n, i) => {
    const given = `${GIVEN[i % GIVEN.length]}${String.fromCharCode(97 + (i % 26))}`;
    const family = `${FAMILY[i % FAMILY.length]}${String.fromCharCode(97 + ((i * 7) % 26))}`;
    const dob = `19${String(40 + (i % 60)).padStart(2, '0')}-0${1 + (i % 9)}-1${i % 10}`;
    const postcode = TEST_POSTCODES[i % TEST_POSTCODES.length];
    ids.names.push(given, family);
    ids.datesOfBirth.push(dob);
    ids.postcodes.push(postcode);
    const spaced = `${n.slice(0, 3)} ${n.slice(3, 6)} ${n.slice(6)}`;
    cipha.push(
      JSON.stringify({
        record_id: `reg-${seed}-${i}`,
        record_type: 'registration',
        occurred_at: at(i),
        nhs_number: spaced,
        date_of_birth: dob,
        sex: 'F',
        postcode,
        practice_code: 'N82001',
      }),
      JSON.stringify({
        record_id: `gp-${seed}-${i}`,
        record_type: 'gp_appointment',
        occurred_at: at(i + 1),
        nhs_number: n,
        practice_code: 'N82001',
        mode: 'telephone',
      }),
    );
    const details = {
      given_name: given,
      family_name: family,
      date_of_birth: dob,
      postcode: postcode.toLowerCase().replace(' ', ''),
    };
    // The record without an NHS number comes first: it waits unlinked until the other links it.
    liferooms.push(
      JSON.stringify({
        record_id: `walkin-${seed}-${i}`,
        record_type: 'visit',
        occurred_at: at(i + 2),
        site: 'walton',
        purpose: 'social',
        notes: `Met ${given} ${family}`,
        ...details,
      }),
      JSON.stringify({
        record_id: `visit-${seed}-${i}`,
        record_type: 'visit',
        occurred_at: at(i + 3),
        nhs_number: n,
        site: 'bootle',
        purpose: 'course',
        ...details,
      }),
    );
  });
  const lines = [...cipha];
  const bad: Record<string, number> = {};
  if (options.bad !== false) {
    const add = (reason: string, line: string) => {
      lines.push(line);
      bad[reason] = (bad[reason] ?? 0) + 1;
    };
    add(
      'invalid_nhs_number',
      JSON.stringify({
        record_id: `bad-nhs-${seed}`,
        record_type: 'gp_appointment',
        occurred_at: at(1),
        nhs_number: '9990000001',
        practice_code: 'N82001',
        mode: 'telephone',
      }),
    );
    add(
      'date_in_future',
      JSON.stringify({
        record_id: `bad-future-${seed}`,
        record_type: 'gp_appointment',
        occurred_at: '2999-01-01T00:00:00Z',
        nhs_number: nhs[0],
        practice_code: 'N82001',
        mode: 'telephone',
      }),
    );
    add(
      'unknown_record_type',
      JSON.stringify({
        record_id: `bad-type-${seed}`,
        record_type: 'haircut',
        occurred_at: at(1),
        nhs_number: nhs[0],
      }),
    );
    add('not_json', `{"record_id": "broken-${seed}", "nhs_number": "${nhs[1]}", `);
    add(
      'required',
      JSON.stringify({
        record_id: `bad-missing-${seed}`,
        record_type: 'gp_appointment',
        nhs_number: nhs[0],
        practice_code: 'N82001',
        mode: 'telephone',
      }),
    );
  }
  lines.push(cipha[0]); // resent verbatim
  return {
    lines,
    liferoomsLines: liferooms,
    valid: cipha.length,
    resent: 1,
    bad,
    identifiers: ids,
  } satisfies TestExtract;
}

/** A pseudonymiser with a fresh random key. */
export function testPseudonymiser(): Pseudonymiser {
  return new Pseudonymiser({ key: randomBytes(32), keyId: 'test-key' });
}

/** A pino logger (same settings as createLogger) writing into memory, to scan what was logged. */
export function capturedLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const logger = pino(
    { level: 'debug', base: { app: 'test' } },
    { write: (s: string) => void lines.push(s) },
  );
  return { logger, lines };
}

/** What to search for: identifiers compared without case, spaces or hyphens, dates as written. */
export interface IdentifierNeedles {
  compact: string[];
  dates: string[];
}

/**
 * Every form of the identifiers worth searching for: NHS numbers with or without spaces, names and
 * postcodes in any case or spacing. Dates of birth are searched as written (`1950-01-12`): without
 * separators, eight digits turn up by chance inside hex hashes.
 */
export function identifierNeedles(ids: TestExtract['identifiers']): IdentifierNeedles {
  const compact = (s: string) => s.toLowerCase().replace(/[\s-]/g, '');
  return {
    compact: [...new Set([...ids.nhsNumbers, ...ids.names, ...ids.postcodes].map(compact))],
    dates: [...new Set(ids.datesOfBirth)],
  };
}

/** The identifiers found in a text. */
export function findIdentifiers(text: string, needles: IdentifierNeedles): string[] {
  const hay = text.toLowerCase().replace(/[\s-]/g, '');
  return [
    ...needles.compact.filter((n) => hay.includes(n)),
    ...needles.dates.filter((d) => text.includes(d)),
  ];
}

/** Every text and jsonb value of every table in every user schema of the database, as one text. */
export async function dumpAllTables(url: string): Promise<string> {
  const sql = postgres(url, { max: 1, onnotice: () => undefined });
  try {
    const columns = await sql<{ table_schema: string; table_name: string; column_name: string }[]>`
      select c.table_schema, c.table_name, c.column_name
      from information_schema.columns c
      join information_schema.tables t using (table_schema, table_name)
      where t.table_type = 'BASE TABLE'
        and c.table_schema not in ('pg_catalog', 'information_schema')
        and c.data_type in ('text', 'character varying', 'jsonb', 'json', 'character', 'uuid', 'bytea')`;
    const parts: string[] = [];
    for (const c of columns) {
      const rows = await sql.unsafe(
        `select "${c.column_name}"::text as v from "${c.table_schema}"."${c.table_name}"`,
      );
      for (const r of rows) if (r.v !== null) parts.push(String(r.v));
    }
    return parts.join('\n');
  } finally {
    await sql.end();
  }
}
