import { ValidationError } from '@linkage/common';
import type { Sql } from '@linkage/database';
import { counter } from '@linkage/observability';
import { AUDIT_APPEND_LOCK_KEY, ensureGovernanceSchema } from '../schema';
import {
  AuditEntry,
  AuditEntryInput,
  AuditOutcome,
  AuditParameters,
  ChainBreak,
  ChainVerifier,
  chainEntry,
  validateAuditInput,
} from './audit-entry';
import {
  defaultHeadFile,
  headSignatureValid,
  readHeadFile,
  signHead,
  SignedHead,
  writeHeadFile,
} from './audit-head';
import { GroupCommit } from './group-commit';

export interface AuditTrailOptions {
  /** Where the signed chain head is kept, outside the database (default `defaultHeadFile()`). */
  headFile?: string;
  /** Secret that signs the head (the JWT secret). Without it the head is neither written nor checked. */
  headSecret?: Buffer;
  /** Sign the head after every this many entries (default 100); also on verify and at shutdown. */
  signEvery?: number;
  clock?: () => Date;
}

export interface AuditSearchFilters {
  actor?: string;
  role?: string;
  purpose?: string;
  dsa?: string;
  action?: string;
  outcome?: AuditOutcome;
  requestId?: string;
  /** Inclusive lower bound on `at`. */
  from?: Date;
  /** Exclusive upper bound on `at`. */
  to?: Date;
}

export interface AuditPageRequest {
  /** 1-based (default 1). */
  page?: number;
  /** Default 50, at most 1000. */
  pageSize?: number;
  /** By sequence; default newest first. */
  order?: 'asc' | 'desc';
}

export interface AuditPage {
  entries: AuditEntry[];
  total: number;
  page: number;
  pageSize: number;
}

export interface AuditVerification {
  intact: boolean;
  entries: number;
  firstBroken?: ChainBreak;
  /** The signed head the chain was checked against (null when there was none to check). */
  signedHead: { sequence: number; signedAt: string } | null;
}

export interface MonthlyAccessRow {
  actor: string;
  purpose: string | null;
  accesses: number;
  denied: number;
}

interface AuditRow {
  sequence: bigint | number | string;
  at: Date;
  actor: string;
  role: string | null;
  purpose: string | null;
  dsa: string | null;
  action: string;
  parameters: AuditParameters;
  result_size: number | null;
  cells_suppressed: number | null;
  outcome: AuditOutcome;
  http_status: number | null;
  reason: string | null;
  request_id: string | null;
  prev_hash: string;
  hash: string;
}

const MAX_PAGE_SIZE = 1000;
/** Most entries written by one group commit. */
const MAX_GROUP_COMMIT = 500;
const recorded = counter('linkage_audit_entries_total', 'Audit entries recorded', ['outcome']);

/**
 * The hash-chained, append-only audit trail (`governance.audit_trail`). Appends are serialised
 * by a transaction-scoped advisory lock, so the chain stays linear however many requests (or
 * processes) record at once, and group-committed within a process; the chain head is signed
 * into a file outside the database.
 */
export class AuditTrail {
  private readonly clock: () => Date;
  private readonly headFile: string;
  private readonly signEvery: number;
  private headWrites: Promise<unknown> = Promise.resolve();
  private readonly queued: Array<{
    input: AuditEntryInput;
    settlesIntent: string | undefined;
    resolve: (entry: AuditEntry) => void;
    reject: (error: unknown) => void;
  }> = [];
  private flushing: Promise<void> | undefined;

  constructor(
    private readonly sql: Sql,
    private readonly options: AuditTrailOptions = {},
  ) {
    this.clock = options.clock ?? (() => new Date());
    this.headFile = options.headFile ?? defaultHeadFile();
    this.signEvery = options.signEvery ?? 100;
  }

  /** Creates the governance schema when missing, then the trail. */
  static async open(sql: Sql, options: AuditTrailOptions = {}): Promise<AuditTrail> {
    await ensureGovernanceSchema(sql);
    const trail = new AuditTrail(sql, options);
    // Calls that never finished (their process died) become entries, once surely not running.
    const graceMs = Number(process.env.LINKAGE_AUDIT_INTENT_GRACE_MS ?? 6 * 3600_000);
    await trail.recordInterrupted(new Date(trail.clock().getTime() - graceMs));
    return trail;
  }

  /**
   * Writes a call's intent before it runs (not chained; removed by `settleIntent` once the
   * call's entry is written), so that a call cut short by a crash still leaves a trace.
   */
  async recordIntent(id: string, input: AuditEntryInput): Promise<void> {
    validateAuditInput(input);
    await this.intents.submit({ id, at: this.clock(), input });
  }

  /** Intents asked for while a write is under way, inserted together (one statement). */
  private readonly intents = new GroupCommit<
    { id: string; at: Date; input: AuditEntryInput },
    void
  >(async (intents) => {
    const rows = intents.map(({ id, at, input }) => ({
      id,
      at: at.toISOString(),
      actor: input.actor,
      role: input.role ?? null,
      purpose: input.purpose ?? null,
      dsa: input.dsa ?? null,
      action: input.action,
      parameters: input.parameters ?? {},
      request_id: input.requestId ?? null,
    }));
    await this.sql`
      insert into governance.audit_intents
        (id, at, actor, role, purpose, dsa, action, parameters, request_id)
      select id, at, actor, role, purpose, dsa, action, parameters, request_id
      from jsonb_to_recordset(${JSON.stringify(rows)}::text::jsonb) as r(id text,
        at timestamptz, actor text, role text, purpose text, dsa text, action text,
        parameters jsonb, request_id text)`;
    return intents.map(() => undefined);
  });

  async settleIntent(id: string): Promise<void> {
    await this.sql`delete from governance.audit_intents where id = ${id}`;
  }

  /**
   * Records every intent older than `before` as an entry with outcome `error`, reason
   * `interrupted` (the call began and never ended), and removes it. Returns how many.
   */
  async recordInterrupted(before: Date): Promise<number> {
    const rows = await this.sql<
      {
        id: string;
        actor: string;
        role: string | null;
        purpose: string | null;
        dsa: string | null;
        action: string;
        parameters: AuditParameters;
        request_id: string | null;
      }[]
    >`select * from governance.audit_intents where at < ${before} order by at`;
    for (const r of rows) {
      await this.record(
        {
          actor: r.actor,
          role: r.role,
          purpose: r.purpose,
          dsa: r.dsa,
          action: r.action,
          parameters: r.parameters,
          outcome: 'error',
          reason: 'interrupted',
          requestId: r.request_id,
        },
        { settlesIntent: r.id },
      );
    }
    return rows.length;
  }

  /**
   * Appends one entry and returns it with its sequence and hash. Refuses (ValidationError)
   * parameters that hold or name an identifier. When it fails the caller must fail too.
   */
  async record(
    input: AuditEntryInput,
    /** `settlesIntent`: the call's intent, removed in the transaction that writes its entry. */
    options: { settlesIntent?: string } = {},
  ): Promise<AuditEntry> {
    validateAuditInput(input);
    const entry = await new Promise<AuditEntry>((resolve, reject) => {
      this.queued.push({ input, settlesIntent: options.settlesIntent, resolve, reject });
      this.flushing ??= this.flushQueued();
    });
    recorded.inc({ outcome: entry.outcome });
    if (entry.sequence % this.signEvery === 0) await this.writeHead(entry);
    return entry;
  }

  /**
   * Group commit: entries asked for while a write is under way are chained and inserted
   * together by the next one (one transaction, one lock, one insert), so 50 concurrent calls
   * cost a few commits instead of 50 serialised ones. Each caller still gets its entry only
   * once it is committed; if the group's transaction fails, every call in it fails.
   */
  private async flushQueued(): Promise<void> {
    try {
      while (this.queued.length > 0) {
        const group = this.queued.splice(0, MAX_GROUP_COMMIT);
        try {
          const entries = await this.appendGroup(
            group.map((q) => q.input),
            group.flatMap((q) => (q.settlesIntent === undefined ? [] : [q.settlesIntent])),
          );
          group.forEach((q, i) => q.resolve(entries[i]));
        } catch (error) {
          for (const q of group) q.reject(error);
        }
      }
    } finally {
      this.flushing = undefined;
    }
  }

  private async appendGroup(
    inputs: AuditEntryInput[],
    settledIntents: string[],
  ): Promise<AuditEntry[]> {
    return this.sql.begin(async (tx) => {
      // Sent together (one round trip; the server runs them in order, so the head is read
      // under the lock): every round trip here is one more socket write per group on the
      // API's event loop (docs/BENCHMARKS.md, the API's other routes).
      const [, [last]] = await Promise.all([
        tx`select pg_advisory_xact_lock(${AUDIT_APPEND_LOCK_KEY})`,
        tx<{ sequence: bigint; hash: string }[]>`
          select sequence, hash from governance.audit_trail order by sequence desc limit 1`,
      ]);
      let previous = last ? { sequence: Number(last.sequence), hash: last.hash } : undefined;
      const entries = inputs.map((input) => {
        const next = chainEntry(input, previous, this.clock());
        previous = { sequence: next.sequence, hash: next.hash };
        return next;
      });
      const rows = entries.map((e) => ({
        sequence: e.sequence,
        at: e.at.toISOString(),
        actor: e.actor,
        role: e.role,
        purpose: e.purpose,
        dsa: e.dsa,
        action: e.action,
        parameters: e.parameters,
        result_size: e.resultSize,
        cells_suppressed: e.cellsSuppressed,
        outcome: e.outcome,
        http_status: e.httpStatus,
        reason: e.reason,
        request_id: e.requestId,
        prev_hash: e.prevHash,
        hash: e.hash,
      }));
      const inserted = tx`
        insert into governance.audit_trail (sequence, at, actor, role, purpose, dsa, action,
          parameters, result_size, cells_suppressed, outcome, http_status, reason, request_id,
          prev_hash, hash)
        select sequence, at, actor, role, purpose, dsa, action, parameters, result_size,
          cells_suppressed, outcome, http_status, reason, request_id, prev_hash, hash
        from jsonb_to_recordset(${JSON.stringify(rows)}::text::jsonb) as r(sequence bigint,
          at timestamptz, actor text, role text, purpose text, dsa text, action text,
          parameters jsonb, result_size integer, cells_suppressed integer, outcome text,
          http_status integer, reason text, request_id text, prev_hash text, hash text)
        order by sequence`;
      await Promise.all([
        inserted,
        settledIntents.length > 0
          ? tx`delete from governance.audit_intents where id = any(${settledIntents}::text[])`
          : undefined,
      ]);
      return entries;
    });
  }

  /** Entries matching the filters, one page at a time (newest first unless asked otherwise). */
  async search(filters: AuditSearchFilters = {}, page: AuditPageRequest = {}): Promise<AuditPage> {
    const pageNumber = Math.max(1, Math.floor(page.page ?? 1));
    const pageSize = Math.min(MAX_PAGE_SIZE, Math.max(1, Math.floor(page.pageSize ?? 50)));
    const where = this.where(filters);
    const order = page.order === 'asc' ? this.sql`asc` : this.sql`desc`;
    const rows = await this.sql<AuditRow[]>`
      select * from governance.audit_trail where ${where}
      order by sequence ${order} limit ${pageSize} offset ${(pageNumber - 1) * pageSize}`;
    const [{ total }] = await this.sql<{ total: number }[]>`
      select count(*)::int as total from governance.audit_trail where ${where}`;
    return { entries: rows.map(toEntry), total, page: pageNumber, pageSize };
  }

  /** Every matching entry in sequence order, streamed in batches (for exports). */
  async *entries(filters: AuditSearchFilters = {}, batchSize = 1000): AsyncGenerator<AuditEntry> {
    let after = 0;
    for (;;) {
      const rows = await this.sql<AuditRow[]>`
        select * from governance.audit_trail where ${this.where(filters)} and sequence > ${after}
        order by sequence limit ${batchSize}`;
      for (const row of rows) yield toEntry(row);
      if (rows.length < batchSize) return;
      after = Number(rows[rows.length - 1].sequence);
    }
  }

  /**
   * Recomputes the whole chain and compares its end with the signed head file. When the chain
   * is intact the head is signed afresh (a broken chain is never vouched for).
   */
  async verify(): Promise<AuditVerification> {
    const verifier = new ChainVerifier();
    let after = 0;
    for (;;) {
      // Keyset pages: plain order by sequence, so a deleted or renumbered row shows as a gap.
      const rows = await this.sql<AuditRow[]>`
        select * from governance.audit_trail where sequence > ${after} order by sequence limit 2000`;
      for (const row of rows) verifier.check(toEntry(row));
      if (rows.length < 2000) break;
      after = Number(rows[rows.length - 1].sequence);
    }
    let firstBroken = verifier.firstBroken;
    let signedHead: AuditVerification['signedHead'] = null;
    const secret = this.options.headSecret;
    if (secret) {
      const head = readHeadFile(this.headFile);
      if (head === 'unreadable') {
        firstBroken ??= {
          sequence: verifier.last?.sequence ?? 0,
          reason: 'head_signature_invalid',
        };
      } else if (head) {
        signedHead = { sequence: head.sequence, signedAt: head.signedAt };
        if (!firstBroken)
          firstBroken = await this.checkHead(head, secret, verifier.last?.sequence ?? 0);
      }
      if (!firstBroken && verifier.last) await this.writeHead(verifier.last);
    }
    return firstBroken
      ? { intact: false, entries: verifier.entries, firstBroken, signedHead }
      : { intact: true, entries: verifier.entries, signedHead };
  }

  /** Signs the current chain head into the head file now (e.g. at shutdown). */
  async signHead(): Promise<SignedHead | undefined> {
    const [last] = await this.sql<{ sequence: bigint; hash: string }[]>`
      select sequence, hash from governance.audit_trail order by sequence desc limit 1`;
    if (!last) return undefined;
    return this.writeHead({ sequence: Number(last.sequence), hash: last.hash });
  }

  /** Accesses per user and purpose in one calendar month (`YYYY-MM`, UTC). */
  async monthlyReport(month: string): Promise<MonthlyAccessRow[]> {
    const match = /^(\d{4})-(0[1-9]|1[0-2])$/.exec(month);
    if (!match) throw new ValidationError({ field: '/month', reason: 'month_invalid' });
    const start = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, 1));
    const end = new Date(Date.UTC(Number(match[1]), Number(match[2]), 1));
    return this.sql<MonthlyAccessRow[]>`
      select actor, purpose, count(*)::int as accesses,
             (count(*) filter (where outcome = 'denied'))::int as denied
      from governance.audit_trail where at >= ${start} and at < ${end}
      group by actor, purpose order by actor, purpose nulls first`;
  }

  private async checkHead(
    head: SignedHead,
    secret: Buffer,
    lastSequence: number,
  ): Promise<ChainBreak | undefined> {
    if (!headSignatureValid(head, secret))
      return { sequence: head.sequence, reason: 'head_signature_invalid' };
    if (head.sequence > lastSequence) return { sequence: lastSequence + 1, reason: 'truncated' };
    const [row] = await this.sql<{ hash: string }[]>`
      select hash from governance.audit_trail where sequence = ${head.sequence}`;
    return row?.hash === head.hash
      ? undefined
      : { sequence: head.sequence, reason: 'head_mismatch' };
  }

  /** Writes a signed head unless the file already vouches for a later entry (heads only move on). */
  private writeHead(head: { sequence: number; hash: string }): Promise<SignedHead | undefined> {
    const secret = this.options.headSecret;
    if (!secret) return Promise.resolve(undefined);
    const write = this.headWrites.then(() => {
      const current = readHeadFile(this.headFile);
      if (
        current &&
        current !== 'unreadable' &&
        current.sequence > head.sequence &&
        headSignatureValid(current, secret)
      ) {
        return current;
      }
      const signed = signHead(head, secret, this.clock());
      writeHeadFile(this.headFile, signed);
      return signed;
    });
    this.headWrites = write.catch(() => undefined);
    return write;
  }

  private where(filters: AuditSearchFilters) {
    const sql = this.sql;
    const parts = [
      filters.actor !== undefined && sql`actor = ${filters.actor}`,
      filters.role !== undefined && sql`role = ${filters.role}`,
      filters.purpose !== undefined && sql`purpose = ${filters.purpose}`,
      filters.dsa !== undefined && sql`dsa = ${filters.dsa}`,
      filters.action !== undefined && sql`action = ${filters.action}`,
      filters.outcome !== undefined && sql`outcome = ${filters.outcome}`,
      filters.requestId !== undefined && sql`request_id = ${filters.requestId}`,
      filters.from !== undefined && sql`at >= ${filters.from}`,
      filters.to !== undefined && sql`at < ${filters.to}`,
    ];
    return parts.reduce((acc, part) => (part ? sql`${acc} and ${part}` : acc), sql`true`);
  }
}

function toEntry(row: AuditRow): AuditEntry {
  return {
    sequence: Number(row.sequence),
    at: row.at,
    actor: row.actor,
    role: row.role,
    purpose: row.purpose,
    dsa: row.dsa,
    action: row.action,
    parameters: row.parameters,
    resultSize: row.result_size,
    cellsSuppressed: row.cells_suppressed,
    outcome: row.outcome,
    httpStatus: row.http_status,
    reason: row.reason,
    requestId: row.request_id,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}
