export * from './nhs-number';
export * from './postcode';
export * from './demographics';
export * from './pseudonymiser';
export * from './key-loader';
export * from './key-fingerprint';
export * from './linkage-encoder';
