export * from './data-files';
export * from './postcode-lookup';
export * from './unit-costs';
export * from './swemwbs';
