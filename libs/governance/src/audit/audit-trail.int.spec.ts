import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { ValidationError } from '@linkage/common';
import { openDatabase, Database } from '@linkage/database';
import { createFreshDatabase } from '@linkage/testing';
import { AuditTrail } from './audit-trail';
import { AuditEntryInput } from './audit-entry';

const secret = randomBytes(32);

function entry(n: number, extra: Partial<AuditEntryInput> = {}): AuditEntryInput {
  return {
    actor: `analyst-${n % 3}`,
    role: 'analyst',
    purpose: 'service-evaluation',
    dsa: 'DSA-1',
    action: 'outcomes.read',
    parameters: { month: '2024-01', page: n },
    resultSize: n,
    cellsSuppressed: n % 2,
    outcome: 'ok',
    httpStatus: 200,
    requestId: `req-${n}`,
    ...extra,
  };
}

describe('AuditTrail (real PostgreSQL)', () => {
  let fresh: { url: string; drop: () => Promise<void> };
  let db: Database;
  let dir: string;

  beforeEach(async () => {
    fresh = await createFreshDatabase('linkage_gov');
    db = await openDatabase({ url: fresh.url });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'linkage-audit-'));
  });

  afterEach(async () => {
    await db.close();
    await fresh.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const open = (signEvery = 100) =>
    AuditTrail.open(db.sql, {
      headFile: path.join(dir, 'head.json'),
      headSecret: secret,
      signEvery,
    });

  async function filled(n: number): Promise<AuditTrail> {
    const audit = await open();
    for (let i = 1; i <= n; i++) await audit.record(entry(i));
    return audit;
  }

  /** Tampering as a superuser would: with the append-only triggers switched off. */
  async function tamper(statements: string[]): Promise<void> {
    await db.sql.begin(async (tx) => {
      await tx.unsafe('alter table governance.audit_trail disable trigger all');
      for (const s of statements) await tx.unsafe(s);
      await tx.unsafe('alter table governance.audit_trail enable trigger all');
    });
  }

  it('chains entries and verifies an untouched trail as intact', async () => {
    const audit = await filled(5);
    const page = await audit.search({ actor: 'analyst-1' }, { order: 'asc' });
    expect(page.entries.map((e) => e.sequence)).toEqual([1, 4]);
    expect(page.total).toBe(2);
    expect(await audit.verify()).toMatchObject({ intact: true, entries: 5 });
    const head = JSON.parse(fs.readFileSync(path.join(dir, 'head.json'), 'utf8'));
    expect(head).toMatchObject({ sequence: 5 });
    expect(Object.keys(head).sort()).toEqual(['hash', 'sequence', 'signature', 'signedAt']);
  });

  it('keeps the chain linear under 50 concurrent records', async () => {
    const audit = await open(7);
    const entries = await Promise.all(
      Array.from({ length: 50 }, (_, i) => audit.record(entry(i + 1))),
    );
    expect(new Set(entries.map((e) => e.sequence)).size).toBe(50);
    expect(await audit.verify()).toMatchObject({ intact: true, entries: 50 });
  });

  it('refuses UPDATE, DELETE and TRUNCATE', async () => {
    await filled(2);
    await expect(db.sql`update governance.audit_trail set actor = 'x'`).rejects.toThrow(
      /append-only/,
    );
    await expect(db.sql`delete from governance.audit_trail`).rejects.toThrow(/append-only/);
    await expect(db.sql`truncate governance.audit_trail`).rejects.toThrow(/append-only/);
    const [{ n }] = await db.sql`select count(*)::int as n from governance.audit_trail`;
    expect(n).toBe(2);
  });

  it('finds a changed entry at exactly that entry', async () => {
    const audit = await filled(8);
    await tamper([`update governance.audit_trail set result_size = 999 where sequence = 4`]);
    expect(await audit.verify()).toMatchObject({
      intact: false,
      firstBroken: { sequence: 4, reason: 'hash_mismatch' },
    });
  });

  it('finds a deleted entry at exactly that entry', async () => {
    const audit = await filled(8);
    await tamper([`delete from governance.audit_trail where sequence = 5`]);
    expect(await audit.verify()).toMatchObject({
      intact: false,
      entries: 7,
      firstBroken: { sequence: 5, reason: 'missing' },
    });
  });

  it('finds two reordered entries at the first of them', async () => {
    const audit = await filled(8);
    await tamper([
      `update governance.audit_trail set sequence = -1 where sequence = 3`,
      `update governance.audit_trail set sequence = 3 where sequence = 4`,
      `update governance.audit_trail set sequence = 4 where sequence = -1`,
    ]);
    expect(await audit.verify()).toMatchObject({
      intact: false,
      firstBroken: { sequence: 3, reason: 'hash_mismatch' },
    });
  });

  it('finds entries cut off the end against the signed head file', async () => {
    const audit = await filled(6);
    expect((await audit.verify()).intact).toBe(true); // signs the head at 6
    await tamper([`delete from governance.audit_trail where sequence > 4`]);
    const result = await audit.verify();
    expect(result).toMatchObject({
      intact: false,
      entries: 4,
      firstBroken: { sequence: 5, reason: 'truncated' },
    });
    // A broken chain is never vouched for: the head still says 6.
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'head.json'), 'utf8')).sequence).toBe(6);
  });

  it('signs the head every N entries without a verify', async () => {
    const audit = await open(3);
    for (let i = 1; i <= 7; i++) await audit.record(entry(i));
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'head.json'), 'utf8')).sequence).toBe(6);
    await tamper([`delete from governance.audit_trail where sequence > 2`]);
    expect((await audit.verify()).firstBroken).toEqual({ sequence: 3, reason: 'truncated' });
  });

  it('detects a head file signed with another key', async () => {
    const audit = await filled(3);
    await audit.verify();
    const other = await AuditTrail.open(db.sql, {
      headFile: path.join(dir, 'head.json'),
      headSecret: randomBytes(32),
    });
    expect((await other.verify()).firstBroken).toMatchObject({ reason: 'head_signature_invalid' });
  });

  it('refuses identifiers in parameters and never stores them', async () => {
    const audit = await open();
    const attempts: Record<string, unknown>[] = [
      { nhs_number: '9990001234' },
      { filter: '999 000 1234' },
      { ids: [9990001234] },
      { nested: { dateOfBirth: '1980-01-01' } },
      { area: 'L9 2AB' },
      { Given_Name: 'x' },
    ];
    for (const parameters of attempts) {
      await expect(
        audit.record(entry(1, { parameters: parameters as never })),
      ).rejects.toBeInstanceOf(ValidationError);
    }
    await expect(
      audit.record(entry(1, { parameters: { nhs_number: '9990001234' } })),
    ).rejects.toThrow(/\/parameters\/nhs_number identifier_key/);
    await expect(audit.record(entry(1, { parameters: { q: '9990001234' } }))).rejects.not.toThrow(
      /9990001234/,
    );
    // Aggregate levels are not identifiers.
    await audit.record(
      entry(1, { parameters: { postcode_sector: 'L9 2', from: '2024-01-01', lsoa: 'E01006512' } }),
    );
    const [{ n }] = await db.sql`select count(*)::int as n from governance.audit_trail`;
    expect(n).toBe(1);
    const dump = JSON.stringify(await db.sql`select t::text as row from governance.audit_trail t`);
    expect(dump).not.toMatch(/999\s?000\s?1234/);
  });

  it('reports accesses per user and purpose for a month', async () => {
    let now = new Date('2024-03-10T12:00:00Z');
    const audit = await AuditTrail.open(db.sql, {
      headFile: path.join(dir, 'head.json'),
      clock: () => now,
    });
    await audit.record(entry(1, { actor: 'ann' }));
    await audit.record(entry(2, { actor: 'ann', outcome: 'denied', httpStatus: 403 }));
    await audit.record(entry(3, { actor: 'bob', purpose: 'planning' }));
    now = new Date('2024-04-01T00:00:00Z');
    await audit.record(entry(4, { actor: 'ann' }));
    expect(await audit.monthlyReport('2024-03')).toEqual([
      { actor: 'ann', purpose: 'service-evaluation', accesses: 2, denied: 1 },
      { actor: 'bob', purpose: 'planning', accesses: 1, denied: 0 },
    ]);
    await expect(audit.monthlyReport('2024-13')).rejects.toBeInstanceOf(ValidationError);
  });
});
