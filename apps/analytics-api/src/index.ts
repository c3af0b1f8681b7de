export * from './analytics/analytics.queries';
export * from './analytics-api.module';
export * from './create-analytics-app';
export * from './segments/segments.queries';
export * from './analytics/release-outputs';
export * from './analytics/analytics.publications';
export * from './analytics/linkage-sensitivity';
export { ANALYTICS_QUERIES, audienceOf } from './analytics/analytics.controller';
