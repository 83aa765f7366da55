export * from './keys.ts';
export * from './read.ts';
export * from './scripts.ts';
export * from './view.ts';
export * from './steps.ts';
export * from './bounds.ts';
export * from './compact.ts';
export * from './rollup-verdict.ts';
