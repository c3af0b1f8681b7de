export * from './difference-in-differences';
export * from './outcome-measures';
