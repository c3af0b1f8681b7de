export * from './transport.port';
export * from './topics';
export * from './partitioner';
export * from './create-transport';
export * from './in-process/in-process-transport';
export * from './kafka/kafka-transport';
export * from './supervised-consumer';
export * from './offset-gaps';
