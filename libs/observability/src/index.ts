export * from './progress';
export * from './metrics';
