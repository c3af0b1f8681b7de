export * from './database';
export * from './embedded-server';
