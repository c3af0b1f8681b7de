export * from './evaluation-subject';
export * from './match-on-trajectory';
export * from './matched-did';
export * from './matching-variance';
export * from './evaluation-design';
export * from './evaluate-measure';
export * from './canonical-order';
