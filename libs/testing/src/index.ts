export * from './backend-report';
export * from './postgres';
