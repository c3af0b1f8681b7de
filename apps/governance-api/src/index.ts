export * from './create-governance-app';
export * from './governance-api.module';
export * from './audit/audit.controller';
export { RELEASE_QUERIES } from './release/release.controller';
