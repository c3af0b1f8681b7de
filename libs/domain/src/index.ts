export * from './disclosure';
export * from './linkage';
export * from './matching';
export * from './outcomes';
export * from './projections';
export * from './segmentation';
export * from './evaluation';
