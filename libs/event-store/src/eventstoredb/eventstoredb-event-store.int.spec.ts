import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EventStoreDBClient } from '@eventstore/db-client';
import { recordBackend } from '@linkage/testing';
import { describeEventStoreContract } from '../contract/event-store.contract';
import { EventStoreDbEventStore } from './eventstoredb-event-store';

const IMAGE = 'eventstore/eventstore:24.10';

/** True when a Docker engine answers within 3 s (a client without a daemon does not count). */
function dockerEngineAnswers(): boolean {
  try {
    execFileSync('docker', ['info', '--format', '{{.ServerVersion}}'], {
      timeout: 3000,
      stdio: 'pipe',
    });
    return true;
  } catch {
    return false;
  }
}

const url = process.env.EVENTSTORE_URL;
const docker = !url && dockerEngineAnswers();

if (url) {
  recordBackend('eventstoredb', true, 'EVENTSTORE_URL');
  describeEventStoreContract('eventstoredb (EVENTSTORE_URL)', async () => {
    const client = EventStoreDBClient.connectionString(url);
    return { store: new EventStoreDbEventStore(client), cleanup: () => client.dispose() };
  });
} else if (docker) {
  jest.setTimeout(180_000); // the first run pulls the image
  recordBackend('eventstoredb', true, `testcontainers ${IMAGE}`);
  describeEventStoreContract(`eventstoredb (testcontainers ${IMAGE})`, async () => {
    const { GenericContainer, Wait } = await import('testcontainers');
    const container = await new GenericContainer(IMAGE)
      .withEnvironment({
        EVENTSTORE_INSECURE: 'true',
        EVENTSTORE_MEM_DB: 'true',
        EVENTSTORE_RUN_PROJECTIONS: 'None',
      })
      .withExposedPorts(2113)
      .withWaitStrategy(Wait.forHttp('/health/live', 2113).forStatusCode(204))
      .start();
    const client = EventStoreDBClient.connectionString(
      `esdb://${container.getHost()}:${container.getMappedPort(2113)}?tls=false`,
    );
    return {
      store: new EventStoreDbEventStore(client),
      cleanup: async () => {
        await client.dispose();
        await container.stop();
      },
    };
  });
} else {
  const reason = 'not run: EVENTSTORE_URL unset and no Docker engine';
  describe('event store contract: eventstoredb', () => {
    it('is not run: no EVENTSTORE_URL and no Docker engine', () => {
      recordBackend('eventstoredb', false, reason);
      const dir = process.env.LINKAGE_BACKEND_REPORT_DIR;
      expect(dir).toBeDefined();
      const record = JSON.parse(
        fs.readFileSync(path.join(dir as string, 'eventstoredb.json'), 'utf8'),
      );
      expect(record).toEqual({ backend: 'eventstoredb', ran: false, detail: reason });
    });
  });
}
