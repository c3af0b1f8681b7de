export * from './errors';
export * from './logger';
export * from './repo-paths';
