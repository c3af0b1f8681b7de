import 'reflect-metadata';
import { runEventWriterService } from './run-event-writer';

// The event writer as its own process (`node dist/apps/event-writer/src/main.js` with path
// aliases registered, or `linkage serve --services event-writer`).
async function main(): Promise<void> {
  const service = await runEventWriterService();
  const shutdown = () => void service.stop().then(() => process.exit(0));
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(
      `event-writer: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exit(1);
  });
}
