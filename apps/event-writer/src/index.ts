export * from './event-writer';
export * from './run-event-writer';
export * from './linkage/linkage-schema';
export * from './linkage/linkage-quality-report';
export * from './linkage/clerical-review';
export * from './linkage/person-merge';
