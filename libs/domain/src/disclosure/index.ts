export * from './disclosure-control';
export * from './publishing-gate';
