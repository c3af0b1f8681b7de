export * from './disclosure-control';
