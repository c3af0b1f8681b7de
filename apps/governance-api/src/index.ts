export * from './create-governance-app';
export * from './governance-api.module';
export * from './audit/audit.controller';
export * from './release/release.controller';
export * from './release/release.providers';
export * from './dead-letters/dead-letter-watch';
export * from './release/release.commands';
export * from './dsa/dsa.commands';
