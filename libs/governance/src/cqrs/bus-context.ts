import { Module, type Provider } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { CommandBus, CqrsModule, QueryBus } from '@nestjs/cqrs';

/** Command and query buses outside an HTTP app; `close()` when done. */
export interface BusContext {
  commands: CommandBus;
  queries: QueryBus;
  close(): Promise<void>;
}

/**
 * A Nest application context without HTTP holding the given handlers (and what they inject) on
 * its own `CommandBus` and `QueryBus`: the CLI runs a verb through the same handlers as the API
 * that takes it over HTTP.
 */
export async function openBusContext(providers: Provider[]): Promise<BusContext> {
  @Module({})
  class BusContextModule {}
  const app = await NestFactory.createApplicationContext(
    { module: BusContextModule, imports: [CqrsModule.forRoot()], providers },
    { logger: false, abortOnError: false },
  );
  return { commands: app.get(CommandBus), queries: app.get(QueryBus), close: () => app.close() };
}
