export * from './outcome-comparison';
export * from './outcome-measures';
