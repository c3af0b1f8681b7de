export * from './calendar';
export * from './match-cohort';
export * from './seeded-random';
