export * from './event-writer';
export * from './run-event-writer';
