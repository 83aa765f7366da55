export * from './email.ts';
export * from './plan.ts';
export * from './profile-id.ts';
export * from './manual-merge.ts';
