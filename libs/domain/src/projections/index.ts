export * from './life-rooms.projection';
export * from './person-profile.projection';
export * from './projected-event';
export * from './service-use.projection';
export * from './condition-register.projection';
export * from './pseudonym-rotation';
export * from './person-merge.projection';
