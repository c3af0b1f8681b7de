export * from './backend-report';
export * from './postgres';
export * from './event-log';
export * from './cli';
export * from './kafka';
export * from './child-processes';
export * from './person-streams';
