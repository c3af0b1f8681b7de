export * from './web.module';
export * from './assets/web-assets';
export * from './session/session.controller';
