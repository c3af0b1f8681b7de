import { Inject } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { openBusContext, type BusContext } from '@linkage/governance';
import type { Sql } from '@linkage/database';
import type { EventStore } from '@linkage/event-store';
import {
  rotatePseudonymisationKey,
  type KeyRotationOptions,
  type KeyRotationSummary,
} from './rotate-key';

const KEY_ROTATION_STORES = Symbol('KEY_ROTATION_STORES');

/**
 * Rotate the pseudonymisation key (`linkage key rotate`): a new key id, old and new pseudonyms
 * linked by events at the edge, nothing re-identified (rotate-key.ts).
 */
export class RotateKeyCommand extends Command<KeyRotationSummary> {
  constructor(readonly rotation: Omit<KeyRotationOptions, 'sql' | 'store'>) {
    super();
  }
}

@CommandHandler(RotateKeyCommand)
export class RotateKeyHandler implements ICommandHandler<RotateKeyCommand> {
  constructor(
    @Inject(KEY_ROTATION_STORES) private readonly stores: { sql: Sql; store: EventStore },
  ) {}

  execute({ rotation }: RotateKeyCommand): Promise<KeyRotationSummary> {
    return rotatePseudonymisationKey({ ...rotation, ...this.stores });
  }
}

/** The key-rotation command on a `CommandBus` of its own, for the CLI. `close()` when done. */
export function openKeyRotationCommandBus(stores: {
  sql: Sql;
  store: EventStore;
}): Promise<BusContext> {
  return openBusContext([{ provide: KEY_ROTATION_STORES, useValue: stores }, RotateKeyHandler]);
}
