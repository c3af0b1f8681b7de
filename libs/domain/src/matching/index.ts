export * from './calendar';
export * from './seeded-random';
