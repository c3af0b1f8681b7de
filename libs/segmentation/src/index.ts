export * from './ruleset-files';
