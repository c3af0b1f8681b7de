export * from './common';
export * from './liferooms-events';
export * from './cipha-events';
export * from './linkage-events';
export * from './canonical-event';
export * from './key-events';
export * from './person-merge-events';
