import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { createLogger } from '@linkage/common';
import { openDatabase } from '@linkage/database';
import { openEventStore } from '@linkage/event-store';
import { Pseudonymiser } from '@linkage/pseudonymisation';
import { loadPostcodeLookup } from '@linkage/reference';
import { createInProcessTransport } from '@linkage/transport';
import { runFileIngest } from '../pipeline/run-file-ingest';
import { testNhsNumbers } from '../testing/ingest-fixtures';

export interface BenchResult {
  records: number;
  seconds: number;
  recordsPerSecond: number;
  rssStartMb: number;
  rssMaxMb: number;
  /** Largest V8 heap in use and largest off-heap buffer memory seen, for where RSS went. */
  heapUsedMaxMb: number;
  arrayBuffersMaxMb: number;
}

/**
 * The memory-flat ingest benchmark: writes an NDJSON file of about `sizeBytes` (cipha GP
 * appointments and registrations for 50,000 test NHS numbers), ingests it with the in-process
 * transport into the store on `DATABASE_URL` (or embedded), sampling RSS every second.
 */
export async function benchIngest(options: {
  sizeBytes: number;
  dir?: string;
}): Promise<BenchResult> {
  const dir = options.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'linkage-bench-'));
  const file = path.join(dir, 'bench-cipha.ndjson');
  await writeBenchFile(file, options.sizeBytes);
  const logger = createLogger('bench');
  const db = await openDatabase();
  const store = await openEventStore({ db });
  const transport = createInProcessTransport();
  const toMb = (bytes: number) => Math.round(bytes / 1048576);
  const mb = () => toMb(process.memoryUsage.rss());
  const rssStartMb = mb();
  let rssMaxMb = rssStartMb;
  let heapUsedMaxMb = 0;
  let arrayBuffersMaxMb = 0;
  const sample = () => {
    const m = process.memoryUsage();
    rssMaxMb = Math.max(rssMaxMb, toMb(m.rss));
    heapUsedMaxMb = Math.max(heapUsedMaxMb, toMb(m.heapUsed));
    arrayBuffersMaxMb = Math.max(arrayBuffersMaxMb, toMb(m.arrayBuffers));
  };
  const sampler = setInterval(sample, 1000);
  const started = process.hrtime.bigint();
  try {
    const summary = await runFileIngest({
      source: 'cipha',
      files: [file],
      transport,
      db,
      store,
      logger,
      pseudonymiser: new Pseudonymiser({ key: randomBytes(32), keyId: 'bench' }),
      postcodes: loadPostcodeLookup(),
      topicPrefix: `bench${randomBytes(3).toString('hex')}.`,
      embeddedWriter: true,
    });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    sample();
    return {
      records: summary.records,
      seconds: Math.round(seconds * 10) / 10,
      recordsPerSecond: Math.round(summary.records / seconds),
      rssStartMb,
      rssMaxMb,
      heapUsedMaxMb,
      arrayBuffersMaxMb,
    };
  } finally {
    clearInterval(sampler);
    await transport.close();
    await store.close();
    await db.close();
    if (!options.dir) fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function writeBenchFile(file: string, sizeBytes: number): Promise<void> {
  const nhs = testNhsNumbers(50_000, 3);
  const out = fs.createWriteStream(file);
  const run = randomBytes(4).toString('hex');
  let written = 0;
  for (let i = 0; written < sizeBytes; i++) {
    const n = nhs[i % nhs.length];
    const at = new Date(Date.UTC(2022, 0, 1) + (i % 100_000) * 60_000).toISOString();
    const line =
      (i % 10 === 0
        ? JSON.stringify({
            record_id: `b${run}-${i}`,
            record_type: 'registration',
            occurred_at: at,
            nhs_number: n,
            date_of_birth: '1970-05-05',
            sex: 'M',
            postcode: 'L9 2AF',
            practice_code: 'N82001',
          })
        : JSON.stringify({
            record_id: `b${run}-${i}`,
            record_type: 'gp_appointment',
            occurred_at: at,
            nhs_number: n,
            practice_code: 'N82001',
            mode: 'face_to_face',
          })) + '\n';
    written += Buffer.byteLength(line);
    if (!out.write(line)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}
