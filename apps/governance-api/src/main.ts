import 'reflect-metadata';
import { createLogger } from '@linkage/common';
import { openDatabase } from '@linkage/database';
import { createGovernanceApp } from './create-governance-app';

/** Runs the governance API alone: `node dist/apps/governance-api/src/main.js` (PORT, default 3002). */
async function main(): Promise<void> {
  const log = createLogger('governance-api');
  const db = await openDatabase();
  const brokers = process.env.KAFKA_BROKERS?.split(',').filter(Boolean);
  const app = await createGovernanceApp({
    db,
    port: Number(process.env.PORT ?? 3002),
    ...(brokers?.length ? { deadLetterWatch: { brokers } } : {}),
  });
  log.info({ url: await app.getUrl() }, 'governance API listening');
  const stop = async () => {
    await app.close();
    await db.close();
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

if (require.main === module) void main();
