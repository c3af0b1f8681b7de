export * from './disclosure-control';
export * from './publishing-gate';
export * from './released-cell-ledger';
export * from './release-review';
