export * from './linkage';
export * from './fellegi-sunter';
export * from './link-decision';
export * from './linkage-quality';
export * from './person-merge';
export * from './linkage-sensitivity';
