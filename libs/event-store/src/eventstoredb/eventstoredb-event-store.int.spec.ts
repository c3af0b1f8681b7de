import { execFileSync } from 'node:child_process';
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
  // jest.config.js leaves this suite out when neither is available (reported NOT RUN), so
  // reaching here means that check and this one disagree: fail rather than pass empty.
  throw new Error('eventstoredb contract suite started without EVENTSTORE_URL or a Docker engine');
}
