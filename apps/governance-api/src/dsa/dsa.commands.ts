import { Inject } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import {
  DsaRegistry,
  openBusContext,
  type BusContext,
  type Dsa,
  type DsaDefinition,
} from '@linkage/governance';

/** Register a data sharing agreement, or amend one in force (`linkage dsa add`). */
export class AddDsaCommand extends Command<{ dsa: Dsa; created: boolean }> {
  constructor(
    readonly definition: DsaDefinition,
    readonly at: Date,
  ) {
    super();
  }
}

@CommandHandler(AddDsaCommand)
export class AddDsaHandler implements ICommandHandler<AddDsaCommand> {
  constructor(@Inject(DsaRegistry) private readonly registry: DsaRegistry) {}

  execute({ definition, at }: AddDsaCommand): Promise<{ dsa: Dsa; created: boolean }> {
    return this.registry.add(definition, at);
  }
}

/** Revoke a DSA: tokens naming it are refused from now on (`linkage dsa revoke`). */
export class RevokeDsaCommand extends Command<Dsa> {
  constructor(
    readonly ref: string,
    readonly at: Date,
  ) {
    super();
  }
}

@CommandHandler(RevokeDsaCommand)
export class RevokeDsaHandler implements ICommandHandler<RevokeDsaCommand> {
  constructor(@Inject(DsaRegistry) private readonly registry: DsaRegistry) {}

  execute({ ref, at }: RevokeDsaCommand): Promise<Dsa> {
    return this.registry.revoke(ref, at);
  }
}

export const DSA_COMMAND_HANDLERS = [AddDsaHandler, RevokeDsaHandler];

/** The DSA commands on a `CommandBus` of their own, for the CLI. `close()` when done. */
export function openDsaCommandBus(registry: DsaRegistry): Promise<BusContext> {
  return openBusContext([{ provide: DsaRegistry, useValue: registry }, ...DSA_COMMAND_HANDLERS]);
}
