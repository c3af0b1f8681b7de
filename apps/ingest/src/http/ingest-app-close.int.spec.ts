import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Transport, TransportSubscription } from '@linkage/transport';
import { createInProcessTransport } from '@linkage/transport';
import { openIngestHarness, type IngestHarness } from '../../../../test/fixtures/ingest-harness';
import { createIngestApp } from './ingest-app';

/** A transport that remembers every subscription it handed out and whether it was stopped. */
function watchedTransport(inner: Transport): {
  transport: Transport;
  subscriptions: { topic: string; stopped: boolean }[];
} {
  const subscriptions: { topic: string; stopped: boolean }[] = [];
  const transport: Transport = Object.create(inner, {
    subscribe: {
      value: async (
        options: Parameters<Transport['subscribe']>[0],
      ): Promise<TransportSubscription> => {
        const inner_ = await inner.subscribe(options);
        const seen = { topic: options.topic, stopped: false };
        subscriptions.push(seen);
        return {
          stop: async () => {
            await inner_.stop();
            seen.stopped = true;
          },
        };
      },
    },
  });
  return { transport, subscriptions };
}

/**
 * Closing the ingest app stops what it started beside HTTP: the raw-topic consumers and the
 * embedded event writer. (An `app.close` reassignment used to be dropped by Nest's proxy, so
 * they kept consuming after the app had closed.)
 */
describe('ingest app: close stops its consumers and the embedded writer (real PostgreSQL)', () => {
  let harness: IngestHarness;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'linkage-ingest-close-'));
  const governance = { jwtSecret: randomBytes(32), auditHeadFile: path.join(dir, 'head.json') };

  beforeAll(async () => {
    harness = await openIngestHarness();
  });

  afterAll(async () => {
    await harness?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('stops every subscription it made, raw topics and writer alike', async () => {
    const watched = watchedTransport(createInProcessTransport());
    const app = await createIngestApp({
      ...harness.deps,
      transport: watched.transport,
      embeddedWriter: true,
      rawTopics: ['liferooms', 'cipha'],
      governance,
    });
    // Two raw-topic consumers and the writer's canonical consumer at least.
    expect(watched.subscriptions.length).toBeGreaterThanOrEqual(3);
    expect(watched.subscriptions.some((s) => s.topic.includes('raw-liferooms'))).toBe(true);
    expect(watched.subscriptions.some((s) => s.topic.includes('raw-cipha'))).toBe(true);
    expect(watched.subscriptions.every((s) => !s.stopped)).toBe(true);

    await app.close();

    expect(watched.subscriptions.filter((s) => !s.stopped)).toEqual([]);
  });

  it('a second close does not stop anything twice or throw', async () => {
    const watched = watchedTransport(createInProcessTransport());
    const app = await createIngestApp({
      ...harness.deps,
      transport: watched.transport,
      embeddedWriter: true,
      rawTopics: false,
      governance,
    });
    await app.close();
    const stoppedOnce = watched.subscriptions.map((s) => s.stopped);
    await expect(app.close()).resolves.toBeUndefined();
    expect(watched.subscriptions.map((s) => s.stopped)).toEqual(stoppedOnce);
    expect(stoppedOnce.length).toBeGreaterThan(0);
    expect(stoppedOnce.every(Boolean)).toBe(true);
  });
});
