export * from './segments.ts';
export * from './settings.ts';
export * from './rollup-sql.ts';
export * from './rollup.ts';
export * from './from-config.ts';
export * from './analyst-queries.ts';
export * from './retention.ts';
