/** v1 contracts: source records (TypeBox -> JSON Schema + TS types), canonical events, validators. */
export * from './source';
export * from './events';
export * from './schemas';
