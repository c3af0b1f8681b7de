export * from './ruleset';
export * from './validate-ruleset';
export * from './person-facts';
export * from './evaluate';
export * from './membership';
