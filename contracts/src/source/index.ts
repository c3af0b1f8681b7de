export * from './common';
export * from './liferooms';
export * from './cipha';
export * from './rejection-reasons';
export * from './validate-source-record';
