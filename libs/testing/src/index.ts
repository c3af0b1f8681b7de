export * from './backend-report';
export * from './postgres';
export * from './event-log';
export * from './cli';
