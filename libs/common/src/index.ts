export * from './errors';
export * from './logger';
export * from './repo-paths';
export * from './shared-read';
