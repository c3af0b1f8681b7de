export * from './matching/run-matching';
export * from './projection/apply-batch';
export * from './projection/projector';
export * from './projection/rebuild';
export * from './read-model/read-model.schema';
export * from './segmentation/segmentation.schema';
export * from './segmentation/load-person-facts';
export * from './segmentation/run-segmentation';
