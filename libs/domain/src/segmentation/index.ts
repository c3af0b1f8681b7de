export * from './ruleset';
export * from './validate-ruleset';
export * from './person-facts';
export * from './evaluate';
export * from './membership';
export * from './person-facts-from-events';
